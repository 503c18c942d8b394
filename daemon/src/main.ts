/** sylkd entry point: start-up runs compact (v8-flags.ts), serving does not. */
import { endCompact, startCompact } from './v8-flags.js';
import { enableCompileCache } from './compile-cache.js';

startCompact();
enableCompileCache(process.env);
// run.js resolves once the daemon serves (or after a short command such as --version).
await import('./run.js');
endCompact([...process.execArgv, ...(process.env['NODE_OPTIONS']?.split(/\s+/) ?? [])]);
