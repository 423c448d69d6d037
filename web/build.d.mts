/** Types for web/build.mjs (the bundle script is plain JavaScript so it runs with no TypeScript loader). */
export declare const GUESTS: readonly string[];
export declare function isomorphicSources(): string[];
export declare function buildWeb(opts?: { outDir?: string; quiet?: boolean }): Promise<{ outDir: string; sources: string[]; warnings: string[] }>;
/** Rolldown plugin: fails on any Node built-in import (naming the importer); serves the generated src-all entry. */
export declare function browserOnly(sources?: string[]): import('rolldown').Plugin;
