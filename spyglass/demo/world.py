"""The demo's made-up world: tenants, users, a knowledge base, invoices, traffic shape."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

#: tenant -> share of production traffic
TENANTS: dict[str, float] = {"acme": 0.38, "globex": 0.27, "initech": 0.2, "umbrella": 0.15}
STAGING_TENANT = "qa-internal"


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    title: str
    text: str

    @property
    def words(self) -> frozenset[str]:
        return frozenset(w.strip(".,?").lower() for w in f"{self.title} {self.text}".split())


KNOWLEDGE_BASE: tuple[Document, ...] = (
    Document(
        "doc-refunds",
        "Refund policy",
        "Refunds are issued within 14 days of delivery to the original payment method.",
    ),
    Document(
        "doc-refund-exceptions",
        "Refund exceptions",
        "Digital goods and custom orders cannot be refunded after download or production starts.",
    ),
    Document(
        "doc-shipping",
        "Shipping times",
        "Standard shipping takes 3 to 5 business days; express shipping takes 1 to 2 days.",
    ),
    Document(
        "doc-shipping-intl",
        "International shipping",
        "International orders ship within 7 to 12 days and may incur customs fees.",
    ),
    Document(
        "doc-order-status",
        "Order status",
        "Order status is visible in the dashboard under Orders; tracking links arrive by email.",
    ),
    Document(
        "doc-password",
        "Password reset",
        "Reset your password from the login page; the reset link expires after 2 hours.",
    ),
    Document(
        "doc-2fa",
        "Two-factor authentication",
        "Enable two-factor authentication in Settings, Security; recovery codes are shown once.",
    ),
    Document(
        "doc-billing",
        "Billing cycle",
        "Invoices are issued on the first of each month; the billing period covers the previous month.",
    ),
    Document(
        "doc-plan-change",
        "Changing plans",
        "Plan upgrades apply immediately; downgrades apply at the next billing period.",
    ),
    Document(
        "doc-api-limits",
        "API rate limits",
        "The API allows 600 requests per minute per key on the business plan.",
    ),
    Document(
        "doc-webhooks",
        "Webhooks",
        "Webhook deliveries are retried with exponential backoff for up to 24 hours.",
    ),
    Document(
        "doc-export",
        "Data export",
        "Export reports as CSV from the dashboard; exports over 1 GB are emailed as a link.",
    ),
)

#: (topic, question templates); ``{order}`` becomes an order number
QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "refund",
        (
            "How do I get a refund for order {order}?",
            "Can I still return order {order}? It arrived damaged.",
            "Why was my refund not issued yet?",
        ),
    ),
    (
        "shipping",
        (
            "Where is my order {order}? It has been a week.",
            "How long does express shipping take?",
            "Do you ship internationally and are there customs fees?",
        ),
    ),
    (
        "account",
        (
            "I can't log in, how do I reset my password?",
            "How do I turn on two-factor authentication?",
            "My reset link expired, what now?",
        ),
    ),
    (
        "billing",
        (
            "When will I get my invoice for this month?",
            "If I downgrade my plan, when does it apply?",
            "Why was I charged twice this month?",
        ),
    ),
    (
        "api",
        (
            "What is the API rate limit on the business plan?",
            "Webhooks stopped arriving, do you retry them?",
            "How do I export all my reports?",
        ),
    ),
)
FOLLOW_UPS: tuple[str, ...] = (
    "Thanks. And what if it is past that window?",
    "Can you check the order status for me?",
    "That did not answer my question, can you be more specific?",
    "OK, and does that apply to my plan too?",
    "Great, can you send me the link?",
)


def pick_tenant(rng: random.Random) -> str:
    return rng.choices(list(TENANTS), weights=list(TENANTS.values()))[0]


def pick_user(rng: random.Random, tenant: str) -> str:
    # a few heavy users per tenant and a long tail, as in real traffic
    return f"{tenant}-user-{min(int(rng.paretovariate(1.2)), 40):02d}"


def order_number(rng: random.Random) -> str:
    return f"#{rng.randint(100000, 999999)}"


def keyword_scores(query: str) -> list[tuple[Document, float]]:
    """Share of a document's words found in the query (the lexical half of retrieval)."""
    words = {w.strip(".,?#").lower() for w in query.split()}
    return [(doc, len(words & doc.words) / max(1, len(words))) for doc in KNOWLEDGE_BASE]


def diurnal_factor(t_s: float) -> float:
    """Traffic relative to the daily mean: low at night (UTC 03:00), peak mid-afternoon."""
    hour = (t_s % 86400) / 3600
    return 1.0 + 0.45 * math.sin((hour - 9.0) / 24.0 * 2 * math.pi)


def arrivals(rng: random.Random, per_hour: float, from_s: float, until_s: float) -> list[float]:
    """Poisson arrival times with the diurnal shape (thinning), sorted."""
    peak = per_hour * 1.45 / 3600
    times: list[float] = []
    t = from_s
    while True:
        t += rng.expovariate(peak)
        if t >= until_s:
            return times
        if rng.random() < diurnal_factor(t) / 1.45:
            times.append(t)


INVOICE_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string", "minLength": 3},
        "vendor": {"type": "string"},
        "issue_date": {"type": "string", "format": "date"},
        "currency": {"type": "string", "enum": ["USD", "EUR", "GBP"]},
        "line_items": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "unit_price": {"type": "number", "minimum": 0},
                },
                "required": ["description", "quantity", "unit_price"],
                "additionalProperties": False,
            },
        },
        "total": {"type": "number", "minimum": 0},
    },
    "required": ["invoice_number", "vendor", "issue_date", "currency", "line_items", "total"],
    "additionalProperties": False,
}

VENDORS = (
    "Northwind Traders",
    "Contoso Ltd",
    "Fabrikam Inc",
    "Tailspin Toys",
    "Wide World Importers",
    "Litware",
)
ITEMS = (
    "Consulting hours",
    "Cloud hosting",
    "Support plan",
    "Laptop stand",
    "License seat",
    "Training session",
    "Shipping",
)


def invoice_text(rng: random.Random) -> tuple[str, int]:
    """A plain-text invoice as an OCR step would produce it, and its number of lines."""
    n_lines = rng.choice((1, 2, 2, 3, 4, 6, 9, 14))
    lines = []
    total = 0.0
    for _ in range(n_lines):
        qty, price = rng.randint(1, 20), round(rng.uniform(5, 900), 2)
        total += qty * price
        lines.append(f"  {rng.choice(ITEMS):<20} {qty:>3} x {price:>8.2f}")
    header = (
        f"INVOICE {rng.choice('ABCDEFG')}-{rng.randint(1000, 99999)}\n"
        f"From: {rng.choice(VENDORS)}\nDate: 2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}\n"
        f"Currency: {rng.choice(('USD', 'EUR', 'GBP'))}\n"
    )
    return header + "\n".join(lines) + f"\nTOTAL {total:.2f}\n", n_lines
