"""Reading the JSON that regsctl and regsd print, for the integration tests."""

import json


def load_json(text, what="output"):
    try:
        return json.loads(text)
    except ValueError as e:
        raise AssertionError("%s is not JSON (%s):\n%s" % (what, e, text))


def walk_json(obj):
    """Every dict and list inside obj (obj included)."""
    yield obj
    if isinstance(obj, dict):
        for v in obj.values():
            yield from walk_json(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_json(v)


def json_records(obj):
    """The list of records of a JSON document: the document if it is a list,
    else the first list-of-dicts value inside it."""
    for o in walk_json(obj):
        if isinstance(o, list) and (not o or all(isinstance(x, dict) for x in o)):
            return o
    return []


