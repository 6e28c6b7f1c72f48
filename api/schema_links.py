"""OpenAPI links between operations: what a create answers feeds the calls that follow it
(get, change, delete), so clients and schemathesis' stateful runs can chain them."""

from __future__ import annotations

ZONE_ID = "$response.body#/zone/id"
DATABASE_ID = "$response.body#/database/id"
CREATED_ID = "$response.body#/id"  # the admin's creates answer with the object itself

# operationId of the producer → (its status, {link name: (operationId, {parameter: value})})
LINKS = {
    "dns_zones_create": (
        "202",
        {
            "GetZone": ("dns_zones_retrieve", {"id": ZONE_ID}),
            "GetRRSets": ("dns_zones_rrsets_retrieve", {"id": ZONE_ID}),
            "ListRecords": ("dns_zones_records_list", {"zone_pk": ZONE_ID}),
            "ListRevisions": ("dns_zones_revisions_list", {"zone_pk": ZONE_ID}),
            "ChangeRRSets": ("dns_zones_changes_create", {"id": ZONE_ID}),
            "ImportZoneFile": ("dns_zones_import_create", {"id": ZONE_ID}),
            "ExportZoneFile": ("dns_zones_export_retrieve", {"id": ZONE_ID}),
            "GetDnssec": ("dns_zones_dnssec_retrieve", {"id": ZONE_ID}),
            "SwitchDnssec": ("dns_zones_dnssec_create", {"id": ZONE_ID}),
            "DeleteZone": ("dns_zones_destroy", {"id": ZONE_ID}),
        },
    ),
    "databases_create": (
        "202",
        {
            "GetDatabase": ("databases_retrieve", {"id": DATABASE_ID}),
            "ListRoles": ("databases_roles_list", {"database_pk": DATABASE_ID}),
            "AddRole": ("databases_roles_create", {"database_pk": DATABASE_ID}),
            "DeleteDatabase": ("databases_destroy", {"id": DATABASE_ID}),
        },
    ),
    # Administrators' resources.
    "admin_plans_create": (
        "201",
        {
            "GetPlan": ("admin_plans_retrieve", {"id": CREATED_ID}),
            "ChangePlan": ("admin_plans_partial_update", {"id": CREATED_ID}),
            "DeletePlan": ("admin_plans_destroy", {"id": CREATED_ID}),
        },
    ),
    "admin_dns_templates_create": (
        "201",
        {
            "GetTemplate": ("admin_dns_templates_retrieve", {"id": CREATED_ID}),
            "ChangeTemplate": ("admin_dns_templates_partial_update", {"id": CREATED_ID}),
            "DeleteTemplate": ("admin_dns_templates_destroy", {"id": CREATED_ID}),
        },
    ),
    # Not to `test`: it connects to the server's address, whatever a client wrote there.
    "admin_servers_create": (
        "201",
        {
            "GetServer": ("admin_servers_retrieve", {"id": CREATED_ID}),
            "ChangeServer": ("admin_servers_partial_update", {"id": CREATED_ID}),
            "GetMetrics": ("admin_servers_metrics_retrieve", {"id": CREATED_ID}),
            "RetireServer": ("admin_servers_retire_create", {"id": CREATED_ID}),
        },
    ),
}


def add_links(result: dict) -> dict:
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or operation.get("operationId") not in LINKS:
                continue
            status, links = LINKS[operation["operationId"]]
            operation["responses"][status]["links"] = {
                name: {"operationId": target, "parameters": parameters}
                for name, (target, parameters) in links.items()
            }
    return result
