"""Span attribute names: Spyglass's own (``spyglass.*``) and the OTel GenAI ones we emit/read.

The SDK writes these names and the ingest layer reads them; keeping them in one module means a
rename is one edit. GenAI names follow the current OTel GenAI semantic conventions (≥1.37, with
the HEAD name ``cache_write`` for cache creation).

Spyglass's own names, all read at ingest (``spyglass/ingest/normalize/spyglass_attrs.py``),
where they win over every other convention: session_id, user_id, tenant_id, feature,
environment, release, prompt.{name,version,template,variables}, metadata.<key>, tags,
span.kind (a ``SpanKind`` value), ttft_ms, input, output, output.json_schema, error.class
(an ``ErrorClass`` value), retrieval.{query,documents,index_version},
tool.{name,call_id,arguments,result,status}, guardrail.{decision,rule}, agent.name.
"""

from __future__ import annotations

# --- Spyglass request context -------------------------------------------------------------
SESSION_ID = "spyglass.session_id"
USER_ID = "spyglass.user_id"
TENANT_ID = "spyglass.tenant_id"
FEATURE = "spyglass.feature"
ENVIRONMENT = "spyglass.environment"
RELEASE = "spyglass.release"
PROMPT_NAME = "spyglass.prompt.name"
PROMPT_VERSION = "spyglass.prompt.version"
METADATA_PREFIX = "spyglass.metadata."

# --- Spyglass span description ------------------------------------------------------------
SPAN_KIND = "spyglass.span.kind"
TTFT_MS = "spyglass.ttft_ms"
INPUT = "spyglass.input"
OUTPUT = "spyglass.output"
OUTPUT_JSON_SCHEMA = "spyglass.output.json_schema"
ERROR_CLASS = "spyglass.error.class"
# The app declared the model self-hosted (init(self_hosted_models=...)): no per-token price,
# so ingest records cost 0 instead of "unknown".
SELF_HOSTED = "spyglass.self_hosted"
# True when the SDK never saw the response body (a raw response the app did not read through
# the response object): response model, tokens and output are then absent, not zero.
RESPONSE_UNOBSERVED = "spyglass.response.unobserved"

RETRIEVAL_QUERY = "spyglass.retrieval.query"
RETRIEVAL_DOCUMENTS = "spyglass.retrieval.documents"  # JSON [{id, content, score, metadata}]
RETRIEVAL_INDEX_VERSION = "spyglass.retrieval.index_version"

TOOL_NAME = "spyglass.tool.name"
TOOL_ARGUMENTS = "spyglass.tool.arguments"
TOOL_RESULT = "spyglass.tool.result"
TOOL_STATUS = "spyglass.tool.status"

GUARDRAIL_DECISION = "spyglass.guardrail.decision"
GUARDRAIL_RULE = "spyglass.guardrail.rule"

# --- read at ingest; the SDK may set them too ---------------------------------------------
PROMPT_TEMPLATE = "spyglass.prompt.template"
PROMPT_VARIABLES = "spyglass.prompt.variables"  # JSON object
TOOL_CALL_ID = "spyglass.tool.call_id"
AGENT_NAME = "spyglass.agent.name"
TAGS = "spyglass.tags"  # string list

# --- OTel GenAI -------------------------------------------------------------------------
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count"
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
GEN_AI_REQUEST_REASONING_LEVEL = "gen_ai.request.reasoning.level"
GEN_AI_OUTPUT_TYPE = "gen_ai.output.type"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"  # includes cache reads and writes
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"  # includes reasoning
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = "gen_ai.usage.cache_write.input_tokens"
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_TOOL_DEFINITIONS = "gen_ai.tool.definitions"
GEN_AI_EMBEDDINGS_DIMENSION_COUNT = "gen_ai.embeddings.dimension.count"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
HTTP_RESPONSE_STATUS_CODE = "http.response.status_code"
ERROR_TYPE = "error.type"
OPENAI_RESPONSE_SERVICE_TIER = "openai.response.service_tier"
OPENAI_RESPONSE_SYSTEM_FINGERPRINT = "openai.response.system_fingerprint"

# Attributes whose values are content (prompts, completions, arguments, documents): the SDK's
# capture modes redact or drop exactly these before anything leaves the process.
CONTENT_ATTRIBUTES: frozenset[str] = frozenset(
    {
        INPUT,
        OUTPUT,
        RETRIEVAL_QUERY,
        RETRIEVAL_DOCUMENTS,
        TOOL_ARGUMENTS,
        TOOL_RESULT,
        GEN_AI_INPUT_MESSAGES,
        GEN_AI_OUTPUT_MESSAGES,
        GEN_AI_SYSTEM_INSTRUCTIONS,
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.retrieval.query.text",
        "input.value",
        "output.value",
    }
)
