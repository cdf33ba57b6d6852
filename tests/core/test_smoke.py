from app.core.roles import Role


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_me(people):
    response = people.call(Role.CASEWORKER, "GET", "/api/v1/me")
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["caseworker"]
