"""The scanner's page, manifest and service worker: public, no credentials, translated, installable."""

import json
import re

import pytest


@pytest.mark.django_db
def test_scanner_page_manifest_and_service_worker(client):
    page = client.get("/porte/")
    assert page.status_code == 200
    html = page.content.decode()
    embedded = re.search(r'<script id="door-strings" type="application/json">(.*?)</script>', html).group(1)
    strings = json.loads(embedded)
    assert strings["reasons"]["already_used"] == "Déjà utilisé"
    assert "script-src 'self'" in page["Content-Security-Policy"]
    english = client.get("/porte/", headers={"Accept-Language": "en"})
    assert english.context["strings"]["reasons"]["already_used"] == "Already used"
    manifest = client.get("/porte/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["start_url"] == "/porte/" and data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    worker = client.get("/porte/sw.js")
    assert worker["Content-Type"] == "text/javascript" and "no-cache" in worker["Cache-Control"]
    body = worker.content.decode()
    assert '"/static/checkin/scanner.js"' in body and 'const CACHE = "parvis-door-' in body
