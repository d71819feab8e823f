from tests.conftest import error_codes


def test_up(client):
    response = client.get("/up")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_ready_checks_the_database(client):
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.get_json()["checks"]["database"] == "ok"


def test_ready_is_503_naming_what_is_down(app_config, make_app):
    class RedisDown(app_config):
        REDIS_URL = "redis://127.0.0.1:1/0"

    response = make_app(RedisDown).test_client().get("/ready")
    assert response.status_code == 503
    assert error_codes(response) == ["service_unavailable"]
    assert "redis" in response.get_json()["errors"][0]["message"]


def test_ready_reports_database_down(app_config, make_app):
    class DatabaseDown(app_config):
        SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1"

    response = make_app(DatabaseDown).test_client().get("/ready")
    assert response.status_code == 503
    assert "database" in response.get_json()["errors"][0]["message"]


def test_openapi_document_describes_the_error_shape(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in spec["paths"] and "/api/v2/refresh_tokens" in spec["paths"]
    error_schema = spec["components"]["schemas"]["Error"]
    assert error_schema["required"] == ["errors"]
    login = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"200", "401", "422", "429"} <= set(login)


def test_docs_page_is_served_without_a_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert b"/docs/assets/swagger-ui-bundle.js" in page.data and b"//cdn" not in page.data
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and asset.mimetype in ("text/javascript", "application/javascript")
    asset.close()


def test_every_documented_error_response_has_the_error_schema(client):
    spec = client.get("/openapi.json").get_json()
    components = spec["components"]["responses"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                if status == "default" or int(status) >= 400:
                    if "$ref" in response:
                        response = components[response["$ref"].rsplit("/", 1)[1]]
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_a_request_body_is_documented_as_required_only_where_its_absence_is_refused(client, make_user, auth_headers):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert paths["/api/v1/auth/logout"]["delete"]["requestBody"]["required"] is False
    assert paths["/api/v1/users/me"]["patch"]["requestBody"]["required"] is False
    assert paths["/api/v1/auth/login"]["post"]["requestBody"]["required"] is True
    assert paths["/api/v2/songs/sync"]["post"]["requestBody"]["required"] is True  # {} names no source: 422
    headers = auth_headers(make_user())
    assert client.patch("/api/v1/users/me", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/logout", headers=headers).status_code == 204


def test_every_json_body_documents_400_and_every_path_id_documents_404(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for path, operations in paths.items():
        path_ids = [p for p in operations.get("parameters", []) if p["in"] == "path" and p["schema"]["type"] == "integer"]
        for method, operation in operations.items():
            if method == "parameters":
                continue
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                assert "400" in operation["responses"], (method, path)
            if path_ids:
                assert "404" in operation["responses"], (method, path)
    assert "404" in paths["/api/v1/users/{user_id}"]["patch"]["responses"]


def test_a_path_id_beyond_64_bits_is_a_documented_404(client, make_user, auth_headers):
    response = client.patch("/api/v1/users/9223372036854775808", json={"bio": "x"}, headers=auth_headers(make_user()))
    assert response.status_code == 404 and error_codes(response) == ["not_found"]
