/** `phoenix` — the command-line entry: runs the program and sets the exit code. */
import { ExitCode } from './output.js';
import { run } from './program.js';

run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(ExitCode.Failed);
  },
);
