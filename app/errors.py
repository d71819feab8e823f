"""Domain errors, and the one handler that turns every error into the contract's shape.

Services raise the classes below; they never build responses. Every layer (webargs
validation, flask-jwt-extended, flask-limiter, werkzeug's HTTP errors, unexpected
exceptions) ends up in the same JSON body: {"errors": [{"code", "message", "field"?}]}.
"""


class AppError(Exception):
    """Base of every error a service may raise on purpose."""

    status = 400
    code = "bad_request"
    message = "Bad request."

    def __init__(self, message=None, *, field=None, code=None, headers=None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.field = field
        self.headers = headers or {}
        if code:
            self.code = code

    def to_dict(self):
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return error


class InvalidInput(AppError):
    status = 422
    code = "validation_error"
    message = "Invalid input."


class Unauthorized(AppError):
    status = 401
    code = "not_authenticated"
    message = "Authentication required."


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "Not found."


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = "Already exists."


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    message = "The request body is too large."


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    message = "Unsupported media type."


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    message = "A service this request needs is unavailable."
