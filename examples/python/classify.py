#!/usr/bin/env python3
"""Classify photos with a running bun-infer server, using requests.

    python3 examples/python/classify.py [--url http://localhost:8080] [--model NAME] [--top-k 3] photo.jpg [more.jpg ...]

Prints one JSON line per photo: {"file", "model", "model_version", "predictions": [{label, class_index, score}]}.
On an error, prints the API's stable error code and message to stderr and exits 1.
Set BUN_INFER_API_KEY when the server has API keys on.
"""
import argparse
import json
import os
import sys

import requests


def predict(session, url, model, top_k, paths):
    endpoint = f"{url}/v1/models/{model}/predict" if model else f"{url}/v1/predict"
    files = [("image", (os.path.basename(p), open(p, "rb"))) for p in paths]
    try:
        return session.post(endpoint, files=files, data={"top_k": str(top_k)}, timeout=60)
    finally:
        for _, (_, handle) in files:
            handle.close()


def main():
    parser = argparse.ArgumentParser(description="Classify photos with a bun-infer server.")
    parser.add_argument("--url", default="http://localhost:8080")
    parser.add_argument("--model", default="", help="model name (default: the server's default model)")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("photos", nargs="+")
    args = parser.parse_args()

    session = requests.Session()
    key = os.environ.get("BUN_INFER_API_KEY")
    if key:
        session.headers["Authorization"] = f"Bearer {key}"
    response = predict(session, args.url.rstrip("/"), args.model, args.top_k, args.photos)
    body = response.json()
    if response.status_code != 200:
        error = body["error"]
        print(f"{response.status_code} {error['code']}: {error['message']}", file=sys.stderr)
        return 1
    for path, predictions in zip(args.photos, body["predictions"]):
        print(json.dumps({"file": path, "model": body["model"], "model_version": body["model_version"], "predictions": predictions}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
