import { run } from './main.js';

// `sylk … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

void run(process.argv.slice(2)).then((code) => {
  // Leave as soon as the output is flushed rather than waiting for idle gRPC timers.
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
  process.exitCode = code;
  process.stdout.once('drain', () => process.exit(code));
});
