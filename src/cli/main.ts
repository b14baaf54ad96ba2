/** `phoenix` — the command-line entry when run from source: runs the program and sets the exit code. */
import { main } from './program.js';

main(process.argv);
