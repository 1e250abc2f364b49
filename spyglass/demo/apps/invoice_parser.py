"""An invoice parser on OpenAI structured outputs, validated against its JSON schema.

Each arrival is one uploaded invoice: extract with ``response_format: json_schema``,
validate (a guardrail span), and on failure retry once with the validation error. After
the provider's snapshot swap the model breaks the schema more often, so retries, schema
failures and cost per invoice rise together.
"""

from __future__ import annotations

import json
import random
from typing import Any

import fastjsonschema
import openai

import spyglass
from spyglass.demo.story import Story
from spyglass.demo.world import INVOICE_SCHEMA, STAGING_TENANT, invoice_text, pick_tenant, pick_user

SYSTEM = (
    "Extract the invoice into the JSON schema. Use ISO dates. Amounts are numbers without currency symbols."
)
_validate = fastjsonschema.compile(INVOICE_SCHEMA)
RESPONSE_FORMAT: Any = {
    "type": "json_schema",
    "json_schema": {"name": "invoice", "schema": INVOICE_SCHEMA, "strict": True},
}


@spyglass.observe(name="clean-ocr-text", kind="chain")
def clean_ocr_text(text: str) -> str:
    """Collapse the OCR step's column padding (fewer tokens, same content)."""
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


class InvoiceParser:
    def __init__(self, client: openai.OpenAI, story: Story, environment: str) -> None:
        self.client = client
        self.story = story
        self.environment = environment

    def run_upload(self, rng: random.Random) -> str:
        """Parse one invoice; returns the trace id."""
        tenant = pick_tenant(rng) if self.environment == "production" else STAGING_TENANT
        text, n_lines = invoice_text(rng)
        model = "gpt-4o" if n_lines >= 9 else "gpt-4o-mini"  # long invoices go to the larger model
        context = spyglass.context(
            user_id=pick_user(rng, tenant),
            tenant_id=tenant,
            feature="invoice-extraction",
            prompt_name="invoice-extract",
            prompt_version="v2",
            metadata={"invoice_lines": n_lines},
        )
        with context, spyglass.span("parse-invoice", kind="workflow") as root:
            root.set_input(text)
            messages: list[Any] = [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": clean_ocr_text(text)},
            ]
            try:
                for attempt in range(2):
                    content = self._extract(model, messages)
                    problem = self._check(content, attempt)
                    if problem is None:
                        root.set_output(content)
                        return root.trace_id
                    messages += [
                        {"role": "assistant", "content": content},
                        {
                            "role": "user",
                            "content": f"The JSON is invalid: {problem}. Return the corrected JSON only.",
                        },
                    ]
                root.set_error(
                    ValueError(f"invoice did not match the schema after 2 attempts: {problem}"),
                    error_class="validation",
                )
            except openai.APIError as exc:
                root.set_error(exc)
            return root.trace_id

    def _extract(self, model: str, messages: list[Any]) -> str:
        response = self.client.chat.completions.create(
            model=model,
            messages=messages,
            response_format=RESPONSE_FORMAT,
            temperature=0,
        )
        return response.choices[0].message.content or ""

    @staticmethod
    def _check(content: str, attempt: int) -> str | None:
        """Guardrail span: the schema check; returns the problem or None."""
        with spyglass.span("validate-invoice-schema", kind="guardrail") as span:
            span.set_metadata("attempt", attempt + 1)
            try:
                _validate(json.loads(content))
            except (ValueError, fastjsonschema.JsonSchemaException) as exc:
                span.set_guardrail("block", rule="invoice-json-schema")
                span.set_output(str(exc))
                return str(exc)
            span.set_guardrail("allow", rule="invoice-json-schema")
            return None
