// Ctrl-C for every CLI command, in one place: the first SIGINT or SIGTERM stops running stages
// cleanly through an AbortSignal; a second one, or one while nothing runs, quits at once (exit 130).
// The only module that calls process.exit.
import { EXIT } from './shared.ts';

/** `busy`: whether stages are running now (a command idling at a prompt quits on the first Ctrl-C). */
export function interruptOnSignal(busy: () => boolean = () => true, notice?: string): AbortController {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted || !busy()) process.exit(EXIT.interrupted);
    if (notice) process.stderr.write(notice);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller;
}
