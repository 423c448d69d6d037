/**
 * Render a Trace through the `debug` package: one namespace per layer
 * (`acpidm:cpu`, `acpidm:ioport`, ...). `DEBUG=acpidm:*` turns them on,
 * exactly as users of `debug` expect. Isomorphic: `debug` has a browser build.
 */
import createDebug from 'debug';
import { NAMESPACES, formatRecord, type Namespace, type Trace } from './trace.js';

export function attachDebug(trace: Trace): () => void {
  const loggers = new Map<Namespace, createDebug.Debugger>();
  for (const ns of NAMESPACES) loggers.set(ns, createDebug(`acpidm:${ns}`));
  // Only enable catalogue events whose namespace `debug` would print.
  for (const ns of NAMESPACES) if (loggers.get(ns)!.enabled) trace.enable(ns);
  return trace.subscribe((rec, def) => {
    const log = loggers.get(rec.ns);
    if (log?.enabled) log('%s', formatRecord(rec, def));
  });
}
