// vitest setupFiles: runs in every test file; removes the folders tempDir() made there.
import { afterAll } from 'vitest';
import { removeTempDirs } from './tmp-dir.js';

afterAll(removeTempDirs);
