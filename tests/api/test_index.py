"""GET /: the API's front door, open to anyone and not rate limited (like the probes)."""
INDEX = {
    "name": "Listify API",
    "docs": "http://localhost/docs",
    "openapi": "http://localhost/openapi.json",
    "versions": ["http://localhost/api/v1", "http://localhost/api/v2"],
}


def test_the_index_names_the_docs_and_the_versions_as_absolute_urls(client):
    response = client.get("/")
    assert response.status_code == 200 and response.get_json() == INDEX


def test_the_urls_follow_the_host_the_client_asked(client):
    body = client.get("/", base_url="https://api.example.org").get_json()
    assert body["openapi"] == "https://api.example.org/openapi.json"
    assert body["versions"][1] == "https://api.example.org/api/v2"


def test_the_docs_and_the_document_it_names_answer(client):
    body = client.get("/").get_json()
    for key in ("docs", "openapi"):
        assert client.get(body[key]).status_code == 200, key


def test_the_index_has_an_etag_and_a_current_one_is_304(client):
    etag = client.get("/").headers["ETag"]
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_the_index_is_documented_without_a_rate_limit(client):
    operation = client.get("/openapi.json").get_json()["paths"]["/"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Index"}
    assert "429" not in operation["responses"] and "security" not in operation


def test_the_index_is_not_rate_limited(client, app):
    limit = int(app.config["RATELIMIT_DEFAULT"].split()[0])
    responses = [client.get("/") for _ in range(limit + 1)]
    assert {response.status_code for response in responses} == {200}
    assert "X-RateLimit-Limit" not in responses[-1].headers
