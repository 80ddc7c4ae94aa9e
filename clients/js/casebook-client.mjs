#!/usr/bin/env node
// A client for the casebook HTTP API with fetch (Node >= 18, no npm packages): submit documents,
// follow progress (Server-Sent Events, or polling), download the report.
//
// As a module:
//   import { CasebookClient } from "./casebook-client.mjs";
//   const client = new CasebookClient("http://127.0.0.1:8000", process.env.CASEBOOK_API_KEY);
//   const run = await client.submit("Acme Corp", ["docs/report.pdf"], { use_cases_count: 5 });
//   const final = await client.wait(run.run_id, { onProgress: (r) => console.log(r.status) });
//   if (final.status === "succeeded") await fs.writeFile("report.md", await client.report(run.run_id));
//
// From the shell (the key from CASEBOOK_API_KEY):
//   node casebook-client.mjs --url http://127.0.0.1:8000 --company "Acme Corp" --docs docs/ \
//        --use-cases 5 --out report.md [--poll]

import { randomUUID } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

// needs_review: the report is written but waits for approve() before it is released
// awaiting_review: the use cases wait for review: useCases(), saveUseCases(…, { approve: true })
export const FINISHED = new Set([
  "succeeded", "failed", "budget_exceeded", "cancelled", "needs_review", "awaiting_review",
]);

export class CasebookError extends Error {
  constructor(status, code, message) {
    super(`${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

export class CasebookClient {
  constructor(baseUrl, apiKey) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.headers = apiKey ? { Authorization: `Bearer ${apiKey}` } : {};
  }

  async #request(method, route, { body, headers = {}, query } = {}) {
    const url = new URL(this.baseUrl + route);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const response = await fetch(url, { method, body, headers: { ...this.headers, ...headers } });
    if (!response.ok) {
      let error = {};
      try {
        error = (await response.json()).error ?? {};
      } catch {
        // not JSON: keep the status
      }
      throw new CasebookError(response.status, error.code ?? "error", error.message ?? response.statusText);
    }
    return response;
  }

  /** Upload documents with the intake fields; a network failure is retried with the same key. */
  async submit(companyName, documents, fields = {}, { idempotencyKey = randomUUID(), retries = 3 } = {}) {
    const parts = [];
    for (const file of documents) parts.push([path.basename(file), await readFile(file)]);
    for (let attempt = 0; ; attempt++) {
      const form = new FormData();
      form.set("company_name", companyName);
      for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) form.set(k, String(v));
      for (const [name, data] of parts) form.append("files", new Blob([data]), name);
      try {
        const response = await this.#request("POST", "/v1/submissions", {
          body: form,
          headers: { "Idempotency-Key": idempotencyKey },
        });
        return await response.json();
      } catch (error) {
        if (error instanceof CasebookError || attempt >= retries) throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
      }
    }
  }

  async status(runId) {
    return (await this.#request("GET", `/v1/runs/${encodeURIComponent(runId)}`)).json();
  }

  /** Yields {event, run} from Server-Sent Events until the run ends ("end" comes last). */
  async *events(runId) {
    const response = await this.#request("GET", `/v1/runs/${encodeURIComponent(runId)}/events`, {
      headers: { Accept: "text/event-stream" },
    });
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trim());
        }
        if (data.length) yield { event, run: JSON.parse(data.join("\n")) };
      }
    }
  }

  /** The run once it ended: follows SSE, or polls every `intervalMs` with poll: true. */
  async wait(runId, { onProgress, poll = false, intervalMs = 2000 } = {}) {
    if (!poll) {
      try {
        let last;
        for await (const { run } of this.events(runId)) {
          last = run;
          onProgress?.(run);
        }
        if (last && FINISHED.has(last.status)) return last;
      } catch (error) {
        if (error instanceof CasebookError) throw error; // a broken stream falls back to polling
      }
    }
    for (;;) {
      const run = await this.status(runId);
      onProgress?.(run);
      if (FINISHED.has(run.status)) return run;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** Release a run that waits for review (needs_review, awaiting_review); wait() again for it to succeed. */
  async approve(runId) {
    const response = await this.#request("POST", `/v1/runs/${encodeURIComponent(runId)}/approve`);
    return response.json();
  }

  /** A run's use cases (while it is awaiting_review: the list to review, with the edits saved). */
  async useCases(runId) {
    const response = await this.#request("GET", `/v1/runs/${encodeURIComponent(runId)}/use-cases`);
    return (await response.json()).use_cases;
  }

  /** Save a reviewer's use cases (changed, reordered, dropped, added); approve: true goes on with them. */
  async saveUseCases(runId, useCases, { approve = false } = {}) {
    const response = await this.#request("POST", `/v1/runs/${encodeURIComponent(runId)}/use-cases`, {
      body: JSON.stringify({ use_cases: useCases, approve }),
      headers: { "Content-Type": "application/json" },
    });
    return response.json();
  }

  async report(runId, format = "md") {
    const response = await this.#request("GET", `/v1/runs/${encodeURIComponent(runId)}/report`, {
      query: { format },
    });
    return Buffer.from(await response.arrayBuffer());
  }
}

async function listDocuments(target) {
  if (!(await stat(target)).isDirectory()) return [target];
  const entries = await readdir(target, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .sort();
}

function parseArgs(argv) {
  const args = { url: process.env.CASEBOOK_URL ?? "http://127.0.0.1:8000", format: "md", poll: false };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, "");
    if (name === "poll") args.poll = true;
    else args[name.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = argv[++i];
  }
  if (!args.company || !args.docs) throw new Error("usage: --company NAME --docs DIR [--url] [--out FILE]");
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const client = new CasebookClient(args.url, process.env.CASEBOOK_API_KEY);
  const fields = { company_info: args.companyInfo, use_cases_count: args.useCases };
  const run = await client.submit(args.company, await listDocuments(args.docs), fields, {
    ...(args.idempotencyKey ? { idempotencyKey: args.idempotencyKey } : {}),
  });
  console.error(`run ${run.run_id} accepted (confirmation ${run.confirmation_code})`);
  const final = await client.wait(run.run_id, {
    poll: args.poll,
    onProgress: (r) => console.error(`${r.status} ${r.current_step ?? ""} ${r.step_number}/${r.total_steps}`),
  });
  if (final.status === "needs_review" || final.status === "awaiting_review") {
    console.error(`run needs review: ${final.gate?.reason}; POST ${final.gate?.approve_url} releases it`);
    return 1;
  }
  if (final.status !== "succeeded") {
    console.error(`run ${final.status}: ${final.error}`);
    return 1;
  }
  const report = await client.report(run.run_id, args.format);
  if (args.out) {
    await writeFile(args.out, report);
    console.error(`report written to ${args.out}`);
  } else process.stdout.write(report);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(`error: ${error.message}`);
      process.exit(1);
    },
  );
}
