"""HTML pages of the emulator: self-contained (inline CSS, no external resources)."""

from __future__ import annotations

from html import escape

from emulator.config import ConsoleSession

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 "DejaVu Sans",Arial,Helvetica,sans-serif;color:#16191f;background:#f2f3f3}
header{background:#232f3e;color:#fff;padding:12px 24px;display:flex;align-items:center;gap:12px}
header .logo{font-weight:700;font-size:20px;letter-spacing:.5px}
header .logo span{color:#ff9900}
header .tag{font-size:12px;background:#37475a;border-radius:10px;padding:2px 10px;color:#d5dbdb}
main{max-width:640px;margin:32px auto;padding:0 16px}
.card{background:#fff;border:1px solid #d5dbdb;border-radius:8px;padding:28px 32px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h1{font-size:24px;margin:0 0 6px}
h2{font-size:15px;margin:22px 0 10px;color:#414d5c;text-transform:uppercase;letter-spacing:.4px}
p.lead{margin:0 0 4px;color:#414d5c}
ul.sessions{list-style:none;margin:0;padding:0}
ul.sessions li{margin:0 0 10px}
ul.sessions form{margin:0}
button.session{width:100%;display:flex;justify-content:space-between;align-items:center;text-align:left;
 background:#fff;border:1px solid #aab7b8;border-radius:6px;padding:12px 16px;cursor:pointer;font:inherit;color:inherit}
button.session:hover,button.session:focus{border-color:#0972d3;background:#f0f8ff;outline:none}
.who{display:flex;flex-direction:column}
.who strong{font-size:16px}
.who small{color:#5f6b7a;font-size:13px}
.badge{font-size:11px;border-radius:10px;padding:2px 8px;margin-left:6px;background:#e9ebed;color:#414d5c;
 vertical-align:middle}
.go{color:#0972d3;font-weight:700;white-space:nowrap}
.or{display:flex;align-items:center;gap:10px;color:#5f6b7a;margin:18px 0}
.or:before,.or:after{content:"";flex:1;border-top:1px solid #d5dbdb}
a.alt,button.alt{display:block;width:100%;text-align:center;padding:10px;border-radius:20px;border:1px solid #0972d3;
 color:#0972d3;background:#fff;text-decoration:none;font:inherit;font-weight:700;cursor:pointer}
button.primary{width:100%;padding:10px;border-radius:20px;border:0;background:#ff9900;color:#16191f;font:inherit;
 font-weight:700;cursor:pointer}
button.link{background:none;border:0;color:#5f6b7a;font:inherit;cursor:pointer;text-decoration:underline;padding:0}
.footer{display:flex;justify-content:space-between;align-items:center;margin-top:20px;font-size:13px;color:#5f6b7a}
label{display:block;font-weight:700;margin:14px 0 4px}
input[type=text],input[type=password]{width:100%;padding:8px 10px;border:1px solid #879596;border-radius:4px;
 font:inherit}
.error{background:#fff7f7;border:1px solid #d91515;border-radius:6px;padding:10px 14px;color:#8d0707;margin:12px 0}
.code{font:600 17px/1.5 "DejaVu Sans Mono",monospace;word-break:break-all;background:#f2f8fd;border:1px dashed #0972d3;
 border-radius:6px;padding:14px;margin:14px 0;user-select:all}
.hint{font-size:13px;color:#5f6b7a}
"""


def _format_account(account_id: str) -> str:
    return f"{account_id[:4]}-{account_id[4:8]}-{account_id[8:]}"


def page(title: str, body: str) -> bytes:
    """A whole HTML document with the emulator's frame."""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        "<header><div class='logo'>aws<span>&#8250;</span> sign-in</div>"
        "<div class='tag'>local emulator</div></header>"
        f"<main><div class='card'>{body}</div></main></body></html>"
    ).encode()


def _session_button(index: int, session: ConsoleSession, request_id: str) -> str:
    kind = {"assumed-role": "role", "user": "IAM user", "root": "root"}[session.kind]
    if session.kind == "assumed-role":
        detail = f"{session.role} / {session.principal}"
    elif session.kind == "user":
        detail = f"user / {session.principal}"
    else:
        detail = "root user"
    return (
        "<li><form method='post' action='/v1/authorize/approve'>"
        f"<input type='hidden' name='request_id' value='{escape(request_id)}'>"
        f"<input type='hidden' name='session' value='{index}'>"
        f"<button class='session' type='submit' data-index='{index}' data-arn='{escape(session.arn)}'>"
        f"<span class='who'><strong>{escape(session.label)}<span class='badge'>{kind}</span></strong>"
        f"<small>Account {_format_account(session.account_id)} &middot; {escape(detail)}</small></span>"
        "<span class='go'>Continue &#8594;</span></button></form></li>"
    )


def authorize_page(sessions: list[ConsoleSession], request_id: str, client_id: str, redirect_uri: str) -> bytes:
    """'Sign in to AWS': the offered sessions, the root/IAM option and Cancel."""
    device = "this device" if client_id.endswith("same-device") else "another device"
    buttons = "".join(_session_button(index, session, request_id) for index, session in enumerate(sessions, 1))
    body = (
        "<h1>Sign in to AWS</h1>"
        f"<p class='lead'>The AWS CLI on <strong>{device}</strong> asks for short-term credentials "
        "from one of your console sessions.</p>"
        "<h2>Continue with an active session</h2>"
        f"<ul class='sessions'>{buttons}</ul>"
        "<div class='or'>or</div>"
        f"<a class='alt' href='/v1/authorize/signin?request_id={escape(request_id)}'>Continue with Root or IAM user</a>"
        "<div class='footer'>"
        f"<span class='hint'>Returns to {escape(redirect_uri)}</span>"
        "<form method='post' action='/v1/authorize/deny'>"
        f"<input type='hidden' name='request_id' value='{escape(request_id)}'>"
        "<button class='link' type='submit' id='cancel'>Cancel</button></form></div>"
    )
    return page("Sign in to AWS", body)


def sign_in_page(request_id: str, back_query: str, error: str | None = None) -> bytes:
    """The 'Root or IAM user' form."""
    notice = f"<div class='error'>{escape(error)}</div>" if error else ""
    body = (
        "<h1>Sign in as Root or IAM user</h1>"
        "<p class='lead'>Leave the user name empty (or type <em>root</em>) to sign in as the root user.</p>"
        f"{notice}<form method='post' action='/v1/authorize/signin'>"
        f"<input type='hidden' name='request_id' value='{escape(request_id)}'>"
        "<label for='account'>Account ID</label><input type='text' id='account' name='account' autocomplete='off'>"
        "<label for='user'>IAM user name</label><input type='text' id='user' name='user' autocomplete='off'>"
        "<label for='password'>Password</label><input type='password' id='password' name='password'>"
        "<p></p><button class='primary' type='submit'>Sign in</button></form>"
        f"<div class='footer'><a href='/v1/authorize?{escape(back_query)}' class='hint'>Back to the sessions</a></div>"
    )
    return page("Sign in as Root or IAM user", body)


def confirmation_page(code: str) -> bytes:
    """Cross-device: the verification code to paste into the client."""
    body = (
        "<h1>Verification code</h1>"
        "<p class='lead'>Copy this code and paste it into the terminal or app that asked you to sign in.</p>"
        f"<div class='code' id='verification-code'>{escape(code)}</div>"
        "<p class='hint'>The code works once and expires in 60 seconds. Do not share it.</p>"
    )
    return page("Verification code", body)


def denied_page() -> bytes:
    """Cross-device: the user cancelled."""
    return page(
        "Access denied",
        "<h1>Access denied</h1><p class='lead'>You cancelled the sign-in. You can close this window.</p>",
    )


def error_page(message: str) -> bytes:
    """An invalid request: explained here, never redirected."""
    body = (
        "<h1>This sign-in request is not valid</h1>"
        f"<div class='error' id='error'>{escape(message)}</div>"
        "<p class='hint'>Start the sign-in again from your terminal or app.</p>"
    )
    return page("Invalid request", body)
