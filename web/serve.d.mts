/** Types for web/serve.mjs (plain JavaScript so `node web/serve.mjs` runs with no TypeScript loader). */
export interface StaticServer {
  url: string;
  close(): Promise<void>;
}
/** Serve `dir` on 127.0.0.1:`port` (0 picks a free port): GET/HEAD only, nothing outside the folder. */
export declare function serveStatic(dir: string, port?: number): Promise<StaticServer>;
