"""Reassemble LLM streams of every major provider: text, reasoning, tool calls, finish
reason, usage, timing, and what was wrong with a stream that broke its format.

One module per provider family (``openai``: Chat Completions and Responses; ``anthropic``;
``google``: Gemini; ``ollama``; ``hf_cohere``: TGI and Cohere v2), each a :class:`Format`
writing into the shared :class:`ReplyState`; :class:`LLMAssembler` detects the format and
feeds it. No Qt, no I/O.
"""

from __future__ import annotations

from stream_core.analysis.llm.assembler import DETECT_EVENTS, FORMATS, LLMAssembler, format_title
from stream_core.analysis.llm.ollama import server_rate
from stream_core.analysis.llm.preview import llm_delta, parse_path, pick
from stream_core.analysis.llm.schema import check_call, declared_tools
from stream_core.analysis.llm.state import Format, Problem, ReplyState, ToolCall
from stream_core.analysis.llm.timing import HISTOGRAM_EDGES, Timing, timing

__all__ = ["DETECT_EVENTS", "FORMATS", "HISTOGRAM_EDGES", "Format", "LLMAssembler", "Problem",
           "ReplyState", "Timing", "ToolCall", "check_call", "declared_tools", "format_title",
           "llm_delta", "parse_path", "pick", "server_rate", "timing"]
