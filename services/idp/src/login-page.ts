/** The sign-in page: a plain form (labels "Username", "Password", button "Sign in"), no external assets. */
export interface LoginPageModel {
  requestId: string;
  csrf: string;
  username?: string;
  error?: string;
  /** Demo mode: people to sign in as with one click. */
  demoUsers?: { username: string; name: string; role: string }[];
}

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
:root{color-scheme:light dark;--bg:#f4f6f9;--card:#fff;--fg:#1b2430;--muted:#5b6675;--line:#d5dbe3;--accent:#0b5cad;--err:#b3261e}
@media (prefers-color-scheme:dark){:root{--bg:#11151b;--card:#1a2029;--fg:#e6eaf0;--muted:#9aa5b4;--line:#2f3846;--accent:#5aa2f0;--err:#ff8a80}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{width:min(420px,92vw);background:var(--card);border:1px solid var(--line);border-radius:12px;padding:28px 28px 22px;box-shadow:0 6px 24px rgba(0,0,0,.08)}
h1{font-size:20px;margin:0 0 4px}p.sub{margin:0 0 20px;color:var(--muted)}
label{display:block;font-weight:600;margin:14px 0 6px}
input{width:100%;padding:10px 12px;border:1px solid var(--line);border-radius:8px;background:transparent;color:inherit;font:inherit}
input:focus,button:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
button{cursor:pointer;font:inherit;border-radius:8px}
.primary{width:100%;margin-top:20px;padding:10px;border:0;background:var(--accent);color:#fff;font-weight:600}
.secondary{width:100%;margin-top:10px;padding:10px;border:1px solid var(--line);background:transparent;color:inherit;font-weight:600}
.error{margin:0 0 8px;padding:10px 12px;border-radius:8px;border:1px solid var(--err);color:var(--err)}
section{margin-top:24px;border-top:1px solid var(--line);padding-top:16px}h2{font-size:14px;margin:0 0 10px;color:var(--muted);font-weight:600}
ul{list-style:none;margin:0;padding:0;display:grid;gap:6px}form.demo{margin:0}
.demo button{width:100%;display:flex;justify-content:space-between;gap:8px;padding:8px 12px;border:1px solid var(--line);background:transparent;color:inherit;text-align:left}
.demo button:hover{border-color:var(--accent)}.role{color:var(--muted);font-size:13px}`;

export function loginPage(m: LoginPageModel): string {
  const hidden = `<input type="hidden" name="request_id" value="${escapeHtml(m.requestId)}"><input type="hidden" name="csrf" value="${escapeHtml(m.csrf)}">`;
  const demo = m.demoUsers?.length
    ? `<section aria-labelledby="demo-h"><h2 id="demo-h">Demo accounts (one click)</h2><ul>${m.demoUsers
        .map(
          (u) =>
            `<li><form class="demo" method="post" action="login">${hidden}<input type="hidden" name="demo_user" value="${escapeHtml(u.username)}"><button type="submit" aria-label="Continue as ${escapeHtml(u.name)} (${escapeHtml(u.role)})"><span>${escapeHtml(u.name)}</span><span class="role">${escapeHtml(u.role)}</span></button></form></li>`,
        )
        .join('')}</ul></section>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in · MSI Assistant</title><style>${STYLE}</style></head>
<body><main>
<h1>MSI Assistant</h1><p class="sub">Sign in to continue</p>
${m.error ? `<p class="error" role="alert">${escapeHtml(m.error)}</p>` : ''}
<form method="post" action="login">${hidden}
<label for="username">Username</label><input id="username" name="username" autocomplete="username" required${m.username ? '' : ' autofocus'} value="${escapeHtml(m.username ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required${m.username ? ' autofocus' : ''}>
<button class="primary" type="submit">Sign in</button>
</form>${demo}
</main></body></html>`;
}

export function messagePage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · MSI Assistant</title><style>${STYLE}</style></head>
<body><main><h1>MSI Assistant</h1><p class="sub">${escapeHtml(title)}</p><p>${escapeHtml(message)}</p></main></body></html>`;
}

/** What each scope lets the client do, in the person's words. */
const SCOPE_TEXT: Record<string, string> = {
  openid: 'know who you are',
  profile: 'see your name and username',
  email: 'see your email address',
  offline_access: 'stay signed in as you (refresh tokens)',
  api: 'use MSI Assistant as you',
  'tickets:read': 'read the support tickets you can see',
  'tickets:write': 'create and change support tickets as you',
  'orgs:read': 'read the organizations and members you can see',
  'orgs:write': 'change member permissions as you',
};

export interface ConsentPageModel {
  requestId: string;
  csrf: string;
  clientName: string;
  clientId: string;
  /** Where the sign-in goes: the redirect URI's origin. */
  destination: string;
  person: string;
  scopes: string[];
}

/** "Allow … to sign in as you?": the client, where the code goes, the scopes; Allow and Deny (CSRF-protected). */
export function consentPage(m: ConsentPageModel): string {
  const hidden = `<input type="hidden" name="request_id" value="${escapeHtml(m.requestId)}"><input type="hidden" name="csrf" value="${escapeHtml(m.csrf)}">`;
  const scopes = m.scopes
    .map(
      (s) =>
        `<li><code>${escapeHtml(s)}</code>${Object.hasOwn(SCOPE_TEXT, s) ? ` · ${escapeHtml(SCOPE_TEXT[s]!)}` : ''}</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Allow access? · MSI Assistant</title><style>${STYLE}</style></head>
<body><main>
<h1>Allow access?</h1>
<p class="sub">Signed in as ${escapeHtml(m.person)}</p>
<p><strong>${escapeHtml(m.clientName)}</strong> (<code>${escapeHtml(m.clientId)}</code>) at <strong>${escapeHtml(m.destination)}</strong> asks to sign in as you. This is not the app's usual address: allow it only if you started this sign-in yourself.</p>
<p>It will be able to:</p><ul aria-label="Requested scopes">${scopes}</ul>
<form method="post" action="consent">${hidden}
<button class="primary" type="submit" name="decision" value="allow">Allow</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button>
</form>
</main></body></html>`;
}

/** "Sign out of MSI Assistant?": asked when a sign-out request does not come with this session's ID token. */
export function signOutPage(m: { confirmation: string; person: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign out? · MSI Assistant</title><style>${STYLE}</style></head>
<body><main>
<h1>Sign out of MSI Assistant?</h1>
<p class="sub">Signed in as ${escapeHtml(m.person)}</p>
<p>A page asked to sign you out. Sign out only if you meant to.</p>
<form method="post" action="end-session/confirm"><input type="hidden" name="confirmation" value="${escapeHtml(m.confirmation)}">
<button class="primary" type="submit" name="decision" value="sign_out">Sign out</button>
<button class="secondary" type="submit" name="decision" value="stay">Stay signed in</button>
</form>
</main></body></html>`;
}
