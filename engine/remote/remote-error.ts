// A shared-cache failure. Its code is IO_FAILED (exit 1, like any I/O a run depends on); its own class lets
// a run tell "the remote is unavailable" (warn once, carry on locally) from a local disk error. It lives here,
// not in engine/errors.ts, because that file is part of every stage's code hash: a new error code there
// would change every cache key in every lock.
import { PipelineError } from '../errors.ts';

export class RemoteError extends PipelineError {}

/** Names the remote and what failed, never a credential. */
export const errRemote = (url: string, action: string, reason: string, hint: string): RemoteError =>
  new RemoteError('IO_FAILED', `remote ${url}: cannot ${action}: ${reason}`, { hint });
