"""The sixteen triage routes (departments), the single source of their ids.

Routing, the knowledge base loader, the signaling events and ``madoguchi triage`` output all use these ids
(see ``triage_routes.md``); a municipality may rename a route for display in its ``municipality.yaml``, never
its id.
"""

from __future__ import annotations

from enum import StrEnum


class RouteId(StrEnum):
    RESIDENT_RECORDS = "resident_records"
    FAMILY_REGISTER = "family_register"
    MYNUMBER_CARD = "mynumber_card"
    TAX = "tax"
    INSURANCE_PENSION = "insurance_pension"
    ELDERLY_CARE = "elderly_care"
    CHILD_FAMILY = "child_family"
    DISABILITY_WELFARE = "disability_welfare"
    LIVELIHOOD_SUPPORT = "livelihood_support"
    WASTE_ENVIRONMENT = "waste_environment"
    WATER_SEWER = "water_sewer"
    HOUSING_ROADS = "housing_roads"
    HEALTH_CHECKUPS = "health_checkups"
    DISASTER_SAFETY = "disaster_safety"
    TRANSPORT_FERRY = "transport_ferry"
    GENERAL_INQUIRY = "general_inquiry"


ROUTE_IDS: tuple[str, ...] = tuple(route.value for route in RouteId)

# Where a question goes when nothing points anywhere in particular.
FALLBACK_ROUTE = RouteId.GENERAL_INQUIRY
