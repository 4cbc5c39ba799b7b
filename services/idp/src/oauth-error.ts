/** An OAuth 2.0 / OIDC error (RFC 6749 §5.2): `error` code, a description that says what was wrong, an HTTP status. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  toJSON() {
    return { error: this.error, error_description: this.description };
  }
}
