/** A coded error the admin API answers with: its HTTP status and a stable `PHX_ERR_*` code. */
export class AdminError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
