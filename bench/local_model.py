"""Benchmark the embedded local models: load time, prompt and generation speed, threads 1 vs 2.

    .venv/bin/python bench/local_model.py                      # every installed local model
    .venv/bin/python bench/local_model.py --models smollm2-135m --threads 1
    .venv/bin/python bench/local_model.py --threads 1 2 1/2    # T or T/TB: TB threads for prompts

For each model and thread count it starts a LocalServer and measures, through the openai client:
  load      locating (joining parts on first use) + SHA-256, then llama.cpp load until /health
  prompt    prompt processing of a ~1500-token prompt (what the pipeline sends), tokens/s
  gen       a free-text answer of exactly --gen-tokens tokens (ignore_eos), tokens/s
  json      a json_schema-constrained answer (grammar on), tokens/s and whether it validated
and prints an estimate for a report of --calls calls of --prompt-tokens in and --out-tokens out.
Speeds come from llama.cpp's own `timings` in each response; wall times are measured here.
On a shared machine the "idle ~N" figures scale each speed by the CPU share the process got
(CPU time / (wall time x threads)); they estimate the speed on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from pydantic import BaseModel, ValidationError

from casebook.llm.local import LOCAL_MODELS, installed_local_models, start_local_server

_TOPICS = [
    "invoice matching",
    "customer e-mail triage",
    "route planning",
    "warehouse slotting",
    "contract review",
    "demand forecasting",
    "driver onboarding",
    "claims handling",
]


def _long_prompt(approx_tokens: int, salt: int) -> str:
    """Business-like text of roughly `approx_tokens` tokens, different per salt (no cache hits)."""
    sentences: list[str] = []
    i = 0
    while len(sentences) * 36 < approx_tokens:  # ~36 tokens a sentence for these models
        topic = _TOPICS[(i + salt) % len(_TOPICS)]
        sentences.append(
            f"Note {salt}-{i}: the {topic} team handles about {40 + (i * 7 + salt) % 900} "
            f"cases a week, mostly by hand, and reports delays of {1 + i % 9} days on average."
        )
        i += 1
    return " ".join(sentences)


class UseCase(BaseModel):
    title: str
    summary: str
    impact: int
    effort: int
    risks: list[str]


def _idle_estimate(tps: float, wall_start: float, cpu_start: float, threads: int) -> float:
    """`tps` scaled to an idle machine: the server runs in this process, so CPU time / wall time
    is the share of `threads` cores it got while other work ran."""
    wall = time.perf_counter() - wall_start
    share = (time.process_time() - cpu_start) / (wall * threads) if wall > 0 else 1.0
    return round(tps / min(max(share, 0.05), 1.0), 1)


def _timings(response: Any) -> dict[str, float]:
    extra = getattr(response, "model_extra", None) or {}
    return dict(extra.get("timings") or {})


def bench_one(
    name: str, threads: int, threads_batch: int, gen_tokens: int, prompt_tokens: int, salt: int
) -> dict[str, Any]:
    row: dict[str, Any] = {"model": name, "threads": threads, "threads_batch": threads_batch}
    row["loadavg_before"] = round(os.getloadavg()[0], 2)  # other work on the machine skews speeds
    t0 = time.perf_counter()
    with start_local_server(name, threads=threads, threads_batch=threads_batch) as srv:
        row["verify_s"] = round(srv.verify_seconds or 0.0, 2)
        row["load_s"] = round(srv.load_seconds or 0.0, 2)
        row["start_s"] = round(time.perf_counter() - t0, 2)
        client = srv.client(max_retries=0, timeout=900)
        nocache = {"cache_prompt": False}

        # warm-up: first-touch page faults of the mmapped weights
        client.chat.completions.create(
            model=srv.model_name,
            messages=[{"role": "user", "content": "Say OK."}],
            max_tokens=4,
            extra_body=nocache,
        )

        # prompt processing of a long prompt
        text = _long_prompt(prompt_tokens, salt)
        t, c = time.perf_counter(), time.process_time()
        r = client.chat.completions.create(
            model=srv.model_name,
            messages=[
                {"role": "system", "content": "You summarise company documents."},
                {"role": "user", "content": text + "\n\nSummarise the notes in one line."},
            ],
            max_tokens=1,
            extra_body=nocache,
        )
        tm = _timings(r)
        row["prompt_tokens"] = r.usage.prompt_tokens if r.usage else None
        row["prompt_tps"] = round(tm.get("prompt_per_second", 0.0), 1)
        row["prompt_wall_s"] = round(time.perf_counter() - t, 2)
        row["prompt_tps_idle"] = _idle_estimate(row["prompt_tps"], t, c, threads_batch)

        # free-text generation of exactly gen_tokens tokens
        t, c = time.perf_counter(), time.process_time()
        r = client.chat.completions.create(
            model=srv.model_name,
            messages=[
                {
                    "role": "user",
                    "content": "Explain in about 150 words how a mid-sized logistics company "
                    "could use AI to speed up invoice matching.",
                }
            ],
            max_tokens=gen_tokens,
            temperature=0.7,
            extra_body={**nocache, "ignore_eos": True},
        )
        tm = _timings(r)
        row["gen_tokens"] = r.usage.completion_tokens if r.usage else None
        row["gen_tps"] = round(tm.get("predicted_per_second", 0.0), 1)
        row["gen_wall_s"] = round(time.perf_counter() - t, 2)
        row["gen_tps_idle"] = _idle_estimate(row["gen_tps"], t, c, threads)

        # schema-constrained generation
        t = time.perf_counter()
        r = client.chat.completions.create(
            model=srv.model_name,
            messages=[
                {
                    "role": "system",
                    "content": "You are an AI-readiness consultant. Answer in JSON.",
                },
                {
                    "role": "user",
                    "content": "Propose one AI use case for automating invoice matching at a "
                    "logistics company: title, a 2-3 sentence summary, impact and effort from "
                    "1 to 5, and up to three risks.",
                },
            ],
            response_format={
                "type": "json_schema",
                "json_schema": {
                    "name": "UseCase",
                    "schema": UseCase.model_json_schema(),
                    "strict": True,
                },
            },
            max_tokens=gen_tokens * 2,
            temperature=0.2,
            extra_body=nocache,
        )
        tm = _timings(r)
        content = r.choices[0].message.content or ""
        try:
            UseCase.model_validate_json(content)
            row["json_valid"] = True
        except ValidationError:
            row["json_valid"] = False
        row["json_tokens"] = r.usage.completion_tokens if r.usage else None
        row["json_tps"] = round(tm.get("predicted_per_second", 0.0), 1)
        row["json_wall_s"] = round(time.perf_counter() - t, 2)
        row["json_sample"] = content[:300]
    return row


def _threads(spec: str) -> tuple[int, int]:
    t, _, tb = spec.partition("/")
    return int(t), int(tb or t)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", help="default: every installed local model")
    parser.add_argument(
        "--threads",
        nargs="*",
        default=["1", "2"],
        help="T (generation and prompt) or T/TB (TB threads for prompt processing)",
    )
    parser.add_argument("--gen-tokens", type=int, default=200)
    parser.add_argument("--prompt-tokens", type=int, default=1500)
    parser.add_argument("--calls", type=int, default=10, help="for the report estimate")
    parser.add_argument("--out-tokens", type=int, default=550, help="for the report estimate")
    parser.add_argument("--json", action="store_true", help="print rows as JSON lines too")
    args = parser.parse_args(argv)

    installed = installed_local_models()
    models = args.models or installed
    missing = [m for m in models if m not in installed]
    for m in missing:
        known = LOCAL_MODELS.get(m)
        print(f"skip {m}: not installed ({known.pip_command if known else 'unknown model'})")
    models = [m for m in models if m in installed]
    print(f"cpus={os.cpu_count()} python={sys.version.split()[0]}")
    rows = []
    configs = [_threads(spec) for spec in args.threads]
    runs = [(m, t, tb) for m in models for t, tb in configs]
    for salt, (name, threads, threads_batch) in enumerate(runs):
        row = bench_one(name, threads, threads_batch, args.gen_tokens, args.prompt_tokens, salt)
        per_call = args.prompt_tokens / max(row["prompt_tps"], 1e-9) + args.out_tokens / max(row["gen_tps"], 1e-9)
        row["report_estimate_s"] = round(args.calls * per_call)
        rows.append(row)
        print(
            f"{name:20} t={threads}/{threads_batch}  load {row['load_s']:5.2f}s "
            f"(+verify {row['verify_s']:4.2f}s)  "
            f"prompt {row['prompt_tps']:6.1f} tok/s ({row['prompt_tokens']} tok; "
            f"idle ~{row['prompt_tps_idle']:.0f})  "
            f"gen {row['gen_tps']:6.1f} tok/s ({row['gen_tokens']} tok; "
            f"idle ~{row['gen_tps_idle']:.0f})  "
            f"json {row['json_tps']:6.1f} tok/s valid={row['json_valid']}  "
            f"~{row['report_estimate_s']} s for {args.calls}x({args.prompt_tokens} in, "
            f"{args.out_tokens} out)  [load avg {row['loadavg_before']}]",
            flush=True,
        )
        if args.json:
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
