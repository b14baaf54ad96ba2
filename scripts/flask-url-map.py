"""Dumps a Flask app's URL map as JSON for `phoenix inventory import --flask`.

    python scripts/flask-url-map.py path/to/app.py [--app-var app]
    python scripts/flask-url-map.py package.module:app

Prints [{"endpoint", "methods", "rule", "blueprint"}], without Flask's static route.
"""
import argparse
import importlib
import importlib.util
import json
import os
import sys


def load_app(target, app_var):
    if ":" in target and not os.path.exists(target):
        module_name, app_var = target.split(":", 1)
        module = importlib.import_module(module_name)
    else:
        path = os.path.abspath(target)
        sys.path.insert(0, os.path.dirname(path))
        spec = importlib.util.spec_from_file_location("phoenix_inventory_target", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    app = getattr(module, app_var, None)
    if app is None and hasattr(module, "create_app"):
        app = module.create_app()
    if app is None or not hasattr(app, "url_map"):
        sys.exit(f"no Flask app named {app_var!r} in {target} (pass --app-var or module:app)")
    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="app file (path/to/app.py) or module:app")
    parser.add_argument("--app-var", default="app")
    args = parser.parse_args()
    app = load_app(args.target, args.app_var)
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))
        blueprint = rule.endpoint.split(".", 1)[0] if "." in rule.endpoint else None
        rules.append({"endpoint": rule.endpoint, "methods": methods, "rule": rule.rule, "blueprint": blueprint})
    rules.sort(key=lambda r: (r["rule"], r["methods"]))
    json.dump(rules, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
