"""The Blueprint every API module uses: flask-smorest's, with error responses documented in our shape."""
from http import HTTPStatus

from flask_smorest import Blueprint as SmorestBlueprint

from app.schemas.common import ErrorSchema


class Blueprint(SmorestBlueprint):
    def alt_response(self, status_code, response=None, *, schema=None, **kwargs):
        """An error status documented without a schema gets the contract's error schema, so
        /openapi.json describes the body the error handler really sends."""
        if response is None and schema is None and HTTPStatus(int(status_code)) >= 400:
            schema = ErrorSchema
        return super().alt_response(status_code, response, schema=schema, **kwargs)

    def arguments(self, schema, *, required=None, **kwargs):
        """A request body is documented as required exactly when the server refuses to go without one:
        an absent body is read as `{}`, so it is required when the schema rejects `{}`."""
        if required is None:
            instance = schema() if isinstance(schema, type) else schema
            required = bool(instance.validate({}))
        return super().arguments(schema, required=required, **kwargs)
