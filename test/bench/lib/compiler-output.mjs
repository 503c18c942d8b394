/** Compiler-like output (errors, warnings, stack lines among progress lines) as 64 KiB chunks. */
const CHUNK = 64 * 1024;

export function compilerOutputChunks() {
  const lines = [];
  for (let i = 0; i < 4000; i++) {
    if (i % 997 === 0)
      lines.push(`src/module${i}/file.ts:${i}:7 - error TS2322: Type 'string' is not assignable to type 'number'.`);
    else if (i % 499 === 0) lines.push(`warning: unused variable \`x${i}\` in src/lib${i}.rs`);
    else if (i % 1499 === 0) lines.push(`    at Object.run (/app/node_modules/pkg/index.js:${i}:13)`);
    else lines.push(`[${i}] compiling src/module${i % 50}/component_${i}.tsx (${i * 3} bytes) ok`);
  }
  const text = Buffer.from(lines.join('\n') + '\n');
  const chunks = [];
  for (let at = 0; at + CHUNK <= text.length; at += CHUNK) chunks.push(text.subarray(at, at + CHUNK));
  return chunks;
}
