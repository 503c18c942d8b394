import { parseArgs } from 'node:util';
import { createLogger, errorMessage } from '@sylk/core';
import { startEmulator } from './server.js';

/** `sylk-emulator --scenario file.yaml [--port 0] [--host 127.0.0.1]`: prints its URL, runs until signalled. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      verbose: { type: 'boolean', default: false },
    },
  });
  if (!values.scenario) {
    console.error('usage: sylk-emulator --scenario <file.yaml> [--port 0] [--host 127.0.0.1] [--verbose]');
    process.exitCode = 2;
    return;
  }
  try {
    const emulator = await startEmulator({
      scenarioPath: values.scenario,
      port: Number(values.port),
      host: values.host,
      logger: createLogger(undefined, { level: values.verbose ? 'debug' : 'warn' }),
    });
    console.log(emulator.url);
    const stop = () => void emulator.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (err) {
    console.error(`sylk-emulator: ${errorMessage(err)}`);
    process.exitCode = 1;
  }
}
