"""The HSDS 3.0 read API, mounted at ``/api/hsds/`` (no trailing slashes, as HSDS writes
its paths). Ids are taken whole (``path``) so that a malformed one gets the API's 400
in JSON, and anything else under the prefix gets its 404 in JSON."""

from django.urls import URLPattern, URLResolver, path, re_path

from peerlight.directory import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("", api.root, name="hsds_root"),
    path("openapi.json", api.openapi_document, name="hsds_openapi"),
    path("services", api.services, name="hsds_services"),
    path("services/<path:service_id>", api.service_detail, name="hsds_service"),
    path("organizations", api.organizations, name="hsds_organizations"),
    path(
        "organizations/<path:organization_id>",
        api.organization_detail,
        name="hsds_organization",
    ),
    path("service_at_locations", api.service_at_locations, name="hsds_service_at_locations"),
    path(
        "service_at_locations/<path:at_location_id>",
        api.service_at_location_detail,
        name="hsds_service_at_location",
    ),
    path("taxonomies", api.taxonomies, name="hsds_taxonomies"),
    path("taxonomies/<path:taxonomy_id>", api.taxonomy_detail, name="hsds_taxonomy"),
    path("taxonomy_terms", api.taxonomy_terms, name="hsds_taxonomy_terms"),
    path("taxonomy_terms/<path:term_id>", api.taxonomy_term_detail, name="hsds_taxonomy_term"),
    re_path(r"^(?P<rest>.+)$", api.not_found, name="hsds_not_found"),
]
