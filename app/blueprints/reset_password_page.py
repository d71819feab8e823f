"""The page that password-reset mails link to (PASSWORD_RESET_URL): a form whose script sends the link's token and
the new password to `PUT /api/v1/auth/password`. A page, not an API operation, so not in the OpenAPI document.

It is a static file: the server puts nothing from the request into it (the script reads the token), and the page
may run nothing but its own script, talk to nothing but this origin, and never hand its URL (the token) on."""
from flask import Blueprint

blp = Blueprint("reset_password_page", __name__, static_folder="reset_password_assets",
                static_url_path="/reset-password/assets")

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",  # the script sends the form as JSON; without it, the password goes nowhere
    "frame-ancestors 'none'",
])


@blp.route("/reset-password")
def reset_password_page():
    response = blp.send_static_file("reset-password.html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"  # the page's URL holds the token
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response
