"""OpenAPI post-processing: every error the API sends has the one shape
(l1site.errors), so the schema says so for every operation instead of
leaving error responses undocumented."""

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "details"],
        "properties": {
            "code": {"type": "string", "example": "unknown_recipe"},
            "message": {"type": "string"},
            "details": {"type": "object", "additionalProperties": True},
        },
    }},
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    body = {"application/json": {"schema": ERROR_REF}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                if str(status)[0] in "45" and not response.get("content"):
                    response["content"] = body
            responses.setdefault("4XX", {"description": "refused: the one error shape", "content": body})
            responses.setdefault("5XX", {"description": "server error: the one error shape",
                                         "content": body})
    return result
