"""The deterministic demo data set: a Chinese car-dealer group with two stores, staff in every
role, customers with vehicles and twelve months of complaint cases (see `manyi demo`)."""

from manyi.core.demo.load import (
    ADMIN_USERNAME,
    DEMO_ORG_NAME,
    DEMO_PASSWORD,
    DemoResult,
    load_demo,
    summarise,
)
from manyi.core.demo.plan import SEED, STAFF, build_plan

__all__ = [
    "ADMIN_USERNAME",
    "DEMO_ORG_NAME",
    "DEMO_PASSWORD",
    "SEED",
    "STAFF",
    "DemoResult",
    "build_plan",
    "load_demo",
    "summarise",
]
