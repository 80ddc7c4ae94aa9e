"""Numbers for the Northwind Logistics sample: one source for every table.

Everything here is deterministic. Annual totals are fixed first (they are quoted in
the prose of the reports); monthly series are spread over the year with fixed
seasonal weights and then corrected so that they add up to the totals exactly.
"""

from __future__ import annotations

import random

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
YEAR = 2025

# ---------------------------------------------------------------- annual totals
CONSIGNMENTS = 412_600
CONSIGNMENTS_2024 = 398_200
PALLETS = 1_460_000
ON_TIME_PCT = 91.4  # share of consignments delivered in the agreed slot
CLAIMS = 13_203  # damage claims; 3.2% of consignments
SITES = {
    # site: (order lines picked in 2025, picks per picking labour hour, m2, opened)
    "Tilburg": (4_180_000, 124, 42_000, 1994),
    "Venlo": (3_470_000, 104, 28_000, 2012),
    "Rotterdam": (710_000, 96, 12_000, 2008),
    "Duisburg": (1_260_000, 109, 18_000, 2021),
}
TEMP_SHARE = {"Tilburg": 0.21, "Venlo": 0.34, "Rotterdam": 0.18, "Duisburg": 0.27}

# Seasonal weights (freight and e-commerce peak in Q4).
_FREIGHT_SEASON = [0.92, 0.94, 1.02, 0.99, 1.01, 0.98, 0.93, 0.95, 1.03, 1.07, 1.10, 1.06]
_ON_TIME_BY_MONTH = [92.3, 92.0, 91.8, 92.4, 92.1, 91.7, 90.6, 91.0, 91.5, 90.9, 89.8, 90.9]
_CLAIM_RATE_BY_MONTH = [2.8, 2.9, 3.0, 3.0, 3.1, 3.1, 3.2, 3.2, 3.3, 3.4, 3.6, 3.5]
_PICK_SEASON = {
    "Tilburg": [0.95, 0.93, 1.00, 0.98, 1.00, 0.97, 0.94, 0.96, 1.03, 1.06, 1.11, 1.07],
    "Venlo": [0.88, 0.84, 0.92, 0.93, 0.95, 0.92, 0.90, 0.93, 1.00, 1.08, 1.34, 1.41],
    "Rotterdam": [0.97, 0.96, 1.01, 1.00, 1.02, 0.99, 0.96, 0.97, 1.02, 1.03, 1.05, 1.02],
    "Duisburg": [1.02, 1.01, 1.04, 1.02, 1.03, 1.00, 0.86, 0.90, 1.03, 1.04, 1.03, 1.02],
}
# Productivity dips in peak months (more temps, more congestion).
_PPH_FACTOR = [1.02, 1.03, 1.01, 1.02, 1.01, 1.00, 0.99, 1.00, 1.00, 0.98, 0.95, 0.96]


def spread(total: int, weights: list[float]) -> list[int]:
    """Split an integer total by weights; the last item absorbs the rounding."""
    scale = total / sum(weights)
    parts = [round(w * scale) for w in weights[:-1]]
    return [*parts, total - sum(parts)]


def monthly_shipments() -> list[dict[str, float | int | str]]:
    """Consignments, pallets, on-time and claims per month of 2025, summing to the totals."""
    consignments = spread(CONSIGNMENTS, _FREIGHT_SEASON)
    pallets = spread(PALLETS, [c * (1 + 0.004 * i) for i, c in enumerate(consignments)])
    on_time = [round(c * p / 100) for c, p in zip(consignments, _ON_TIME_BY_MONTH, strict=True)]
    on_time[-1] += round(CONSIGNMENTS * ON_TIME_PCT / 100) - sum(on_time)
    claims = [round(c * r / 100) for c, r in zip(consignments, _CLAIM_RATE_BY_MONTH, strict=True)]
    claims[-1] += CLAIMS - sum(claims)
    rows = []
    for i, month in enumerate(MONTHS):
        c = consignments[i]
        rows.append(
            {
                "month": f"{YEAR}-{i + 1:02d}",
                "label": month,
                "consignments": c,
                "pallets": pallets[i],
                "on_time": on_time[i],
                "late": c - on_time[i],
                "on_time_pct": round(100 * on_time[i] / c, 1),
                "claims": claims[i],
                "claim_rate_pct": round(100 * claims[i] / c, 2),
            }
        )
    return rows


def quarterly_shipments() -> list[dict[str, float | int | str]]:
    """The monthly series rolled up to quarters (used in the operations review)."""
    months = monthly_shipments()
    quarters = []
    for q in range(4):
        chunk = months[3 * q : 3 * q + 3]
        c = sum(int(m["consignments"]) for m in chunk)
        ot = sum(int(m["on_time"]) for m in chunk)
        cl = sum(int(m["claims"]) for m in chunk)
        quarters.append(
            {
                "quarter": f"Q{q + 1} {YEAR}",
                "consignments": c,
                "pallets": sum(int(m["pallets"]) for m in chunk),
                "on_time_pct": round(100 * ot / c, 1),
                "claims": cl,
                "claim_rate_pct": round(100 * cl / c, 1),
            }
        )
    return quarters


def warehouse_picks() -> list[dict[str, float | int | str]]:
    """Order lines, picking hours and temp hours per site and month."""
    rows = []
    for site, (lines_total, pph, _m2, _opened) in SITES.items():
        lines = spread(lines_total, _PICK_SEASON[site])
        raw_hours = [n / (pph * f) for n, f in zip(lines, _PPH_FACTOR, strict=True)]
        correction = (lines_total / sum(raw_hours)) / pph  # make the annual ratio exact
        hours = [round(h * correction) for h in raw_hours]
        for i, month in enumerate(MONTHS):
            temp_share = TEMP_SHARE[site] * (1.35 if i >= 9 else 1.0)
            rows.append(
                {
                    "month": f"{YEAR}-{i + 1:02d}",
                    "label": month,
                    "site": site,
                    "order_lines": lines[i],
                    "pick_hours": hours[i],
                    "picks_per_hour": round(lines[i] / hours[i], 1),
                    "temp_hours": round(hours[i] * temp_share * 7.6),  # temps also pack, load and do returns
                }
            )
    return rows


def site_summary() -> list[dict[str, float | int | str]]:
    rows = []
    picks = warehouse_picks()
    for site, (lines_total, _pph, m2, opened) in SITES.items():
        hours = sum(int(r["pick_hours"]) for r in picks if r["site"] == site)
        rows.append(
            {
                "site": site,
                "m2": m2,
                "opened": opened,
                "order_lines": lines_total,
                "pick_hours": hours,
                "picks_per_hour": round(lines_total / hours),
            }
        )
    return rows


# Damage claims by root cause (shares of the 13,203 claims), split by quarter.
CLAIM_CAUSES = [
    ("Loading and load securing (own fleet)", 0.31),
    ("Cross-dock handling (mainly Rotterdam)", 0.27),
    ("Subcontracted linehaul", 0.22),
    ("Insufficient packaging by shipper", 0.12),
    ("Other / unknown", 0.08),
]


def claims_by_cause() -> list[dict[str, int | str]]:
    quarters = [int(q["claims"]) for q in quarterly_shipments()]
    causes = spread(CLAIMS, [share for _, share in CLAIM_CAUSES])
    rows = []
    for (cause, _share), total in zip(CLAIM_CAUSES, causes, strict=True):
        split = spread(total, quarters)
        rows.append({"cause": cause, **{f"Q{i + 1}": v for i, v in enumerate(split)}, "total": total})
    # Make the quarter columns add up to the quarterly claims as well.
    for i, q_total in enumerate(quarters):
        key = f"Q{i + 1}"
        diff = q_total - sum(int(r[key]) for r in rows)
        rows[-1][key] = int(rows[-1][key]) + diff
        rows[-1]["total"] = int(rows[-1]["total"]) + diff
    return rows


# Lanes: share of consignments, on-time %, average transit days, share subcontracted.
LANES = [
    ("Netherlands (domestic)", 0.52, 93.6, 1.1, 0.29),
    ("Belgium", 0.21, 90.8, 1.4, 0.41),
    ("Luxembourg", 0.03, 92.0, 1.6, 0.35),
    ("Germany (North Rhine-Westphalia)", 0.18, 87.9, 1.5, 0.46),
    ("Germany (other)", 0.06, 85.2, 2.3, 0.71),
]


def lanes() -> list[dict[str, float | int | str]]:
    counts = spread(CONSIGNMENTS, [share for _, share, *_ in LANES])
    return [
        {
            "lane": name,
            "consignments": n,
            "share_pct": round(100 * share),
            "on_time_pct": ot,
            "avg_transit_days": days,
            "subcontracted_pct": round(100 * sub),
        }
        for (name, share, ot, days, sub), n in zip(LANES, counts, strict=True)
    ]


# Carrier (subcontractor) invoices handled by accounts payable, all matched by hand.
CARRIER_INVOICES = 38_400
_INVOICE_SEASON = [0.93, 0.92, 1.01, 0.98, 1.00, 0.97, 0.95, 0.94, 1.04, 1.07, 1.11, 1.08]
_DISCREPANCY_PCT = [20.4, 21.0, 21.3, 21.7, 21.5, 22.0, 22.6, 22.1, 22.4, 22.9, 23.3, 22.7]
_DAYS_TO_APPROVE = [31, 32, 33, 33, 32, 34, 36, 35, 34, 35, 37, 36]


def carrier_invoices() -> list[dict[str, float | int | str]]:
    counts = spread(CARRIER_INVOICES, _INVOICE_SEASON)
    rows = []
    for i, month in enumerate(MONTHS):
        n = counts[i]
        disputed = round(n * _DISCREPANCY_PCT[i] / 100)
        rows.append(
            {
                "month": f"{YEAR}-{i + 1:02d}",
                "label": month,
                "invoices_received": n,
                "matched_manually": n,
                "auto_matched": 0,
                "with_discrepancy": disputed,
                "discrepancy_pct": round(100 * disputed / n, 1),
                "avg_days_to_approve": _DAYS_TO_APPROVE[i],
            }
        )
    return rows


# ---------------------------------------------------------------- support tickets
TICKET_CATEGORIES = [
    # category, rows in the 150-ticket sample, mean handling minutes, subject templates
    ("Delivery appointment", 24, 8.2, ["Book delivery slot for order {ref}", "Reschedule delivery {ref} to {day}", "Customer asks for tail-lift delivery slot, {ref}"]),
    ("Where is my shipment", 21, 9.4, ["Where is consignment {ref}? Expected {day}", "Shipment {ref} not arrived, portal shows 'in transit'", "Status of {ref}? Store is waiting"]),
    ("Invoice query", 20, 11.3, ["Waiting-time surcharge on invoice {inv} disputed", "Fuel surcharge on {inv} differs from contract", "Credit note requested for {inv}"]),
    ("POD request", 18, 7.1, ["Please send POD for {ref}", "Signed POD missing for {ref}, needed for customer", "POD for {ref} is illegible"]),
    ("Damage claim", 17, 14.6, ["Two pallets damaged on delivery {ref}", "Claim: wrapped pallet crushed, {ref}", "Shortage and damage reported for {ref}"]),
    ("Pickup booking", 16, 6.5, ["Pickup request {day}, 6 pallets", "Add pickup to tomorrow's tour, ref {ref}", "Collection for returns, {day}"]),
    ("Address/delivery change", 12, 7.9, ["Change delivery address for {ref}", "Redirect {ref} to DC Breda", "Receiver closed on {day}, new date for {ref}"]),
    ("Complaint", 8, 16.8, ["Driver did not call ahead, {ref}", "Third late delivery this month, {ref}", "Complaint about missed slot {ref}"]),
    ("Rate/quote", 8, 10.2, ["Quote request: 12 pallets Tilburg to Liege", "Rate for weekly FTL Venlo-Dortmund", "Spot quote 3 pallets to Luxembourg"]),
    ("Customs/documents", 6, 12.4, ["CMR copy needed for {ref}", "Missing export document for {ref}", "Dangerous goods note for {ref}"]),
]
_CHANNELS = [("Email", 0.52), ("Phone", 0.31), ("Web form", 0.12), ("Other", 0.05)]
_RESOLUTIONS = ["Resolved first contact", "Resolved after follow-up", "Escalated to operations", "Credit issued", "Open"]
_SEGMENTS = [("Retail", 0.34), ("E-commerce", 0.22), ("Industrial", 0.19), ("Automotive", 0.14), ("Food & beverage", 0.11)]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _pick(rng: random.Random, options: list[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def support_tickets(seed: int = 20251130) -> list[dict[str, str | int | float]]:
    """A 150-ticket sample from November 2025 with exact category counts (14% WISMO)."""
    rng = random.Random(seed)
    cats = [c for c, n, *_ in TICKET_CATEGORIES for _ in range(n)]
    rng.shuffle(cats)
    info = {c: (mean, templates) for c, _n, mean, templates in TICKET_CATEGORIES}
    workdays = [d for d in range(3, 29) if (d - 3) % 7 < 5]  # 3 Nov 2025 is a Monday
    rows = []
    for i, cat in enumerate(cats):
        mean, templates = info[cat]
        day = workdays[i * len(workdays) // len(cats)]
        minute = rng.randrange(7 * 60 + 30, 17 * 60 + 30)
        channel = _pick(rng, _CHANNELS)
        if cat in ("Where is my shipment", "Delivery appointment"):
            channel = rng.choice(["Phone", "Email", "Phone", "Web form"])
        minutes = max(1.5, round(rng.gauss(mean, mean * 0.35), 1))
        if cat == "Damage claim":
            resolution = rng.choice(["Escalated to operations", "Credit issued", "Open", "Credit issued"])
        elif cat == "Complaint":
            resolution = rng.choice(["Escalated to operations", "Resolved after follow-up"])
        else:
            resolution = rng.choices(_RESOLUTIONS, weights=[0.68, 0.2, 0.07, 0.02, 0.03])[0]
        touches = 1 if resolution == "Resolved first contact" else rng.randint(2, 5)
        csat = "" if rng.random() < 0.55 else str(rng.choices([1, 2, 3, 4, 5], weights=[6, 9, 20, 38, 27])[0])
        subject = rng.choice(templates).format(
            ref=f"NW{rng.randrange(4_400_000, 4_499_999)}",
            inv=f"INV-25-{rng.randrange(10_000, 99_999)}",
            day=rng.choice(_DAYS),
        )
        rows.append(
            {
                "ticket_id": f"CS-{2_511_000 + 37 * i + rng.randrange(0, 37)}",
                "created_at": f"2025-11-{day:02d}T{minute // 60:02d}:{minute % 60:02d}",
                "channel": channel,
                "category": cat,
                "subject": subject,
                "customer_id": f"C{rng.randrange(10_000, 11_140)}",
                "customer_segment": _pick(rng, _SEGMENTS),
                "language": rng.choices(["NL", "DE", "EN", "FR"], weights=[58, 24, 12, 6])[0],
                "site": rng.choices(["Tilburg", "Venlo", "Rotterdam", "Duisburg"], weights=[45, 25, 12, 18])[0],
                "handling_minutes": minutes,
                "touches": touches,
                "resolution": resolution,
                "csat_1_5": csat,
            }
        )
    return rows


# ---------------------------------------------------------------- fleet telematics
TRACTORS = {"Tilburg": 88, "Venlo": 34, "Rotterdam": 22, "Duisburg": 20}  # 164 in all
EV_TRACTORS = 6
EV_KM = 372_000
FLEET_KM = 16_912_400
DIESEL_L_PER_100KM = 31.8
CO2_KG_PER_LITRE = 2.64
_KM_SEASON = [0.93, 0.94, 1.02, 0.99, 1.01, 0.99, 0.94, 0.95, 1.03, 1.06, 1.09, 1.05]
_EMPTY_KM = [17.9, 18.1, 18.4, 18.2, 18.6, 18.9, 19.8, 19.5, 18.6, 18.5, 18.7, 18.9]


def diesel_litres() -> int:
    return round((FLEET_KM - EV_KM) * DIESEL_L_PER_100KM / 100)


def scope1_co2_tonnes() -> int:
    return round(diesel_litres() * CO2_KG_PER_LITRE / 1000)


def telematics() -> dict[str, object]:
    km = spread(FLEET_KM, _KM_SEASON)
    empty_km = round(sum(k * e / 100 for k, e in zip(km, _EMPTY_KM, strict=True)))
    depot_km = spread(FLEET_KM, [88 * 1.02, 34 * 0.97, 22 * 0.88, 20 * 1.09])
    return {
        "source": "Webfleet export, aggregated by Northwind IT into Snowflake view FLEET.TELEMATICS_MONTHLY",
        "period": {"from": "2025-01-01", "to": "2025-12-31"},
        "generated_at": "2026-01-09T07:30:00+01:00",
        "privacy": (
            "Aggregated per depot and month. Driver identifiers are removed before loading, "
            "as agreed with the works council on 14 March 2023; driver-level scoring is not permitted."
        ),
        "fleet": {
            "tractors": sum(TRACTORS.values()),
            "battery_electric_tractors": EV_TRACTORS,
            "trailers": 212,
            "trailers_with_tracker": 61,
            "telematics_units": "Webfleet PRO 8475 in all tractors",
            "gps_ping_interval_seconds": 60,
        },
        "totals": {
            "km_driven": FLEET_KM,
            "km_battery_electric": EV_KM,
            "empty_km": empty_km,
            "empty_km_pct": round(100 * empty_km / FLEET_KM, 1),
            "diesel_litres": diesel_litres(),
            "avg_diesel_l_per_100km": DIESEL_L_PER_100KM,
            "co2_tonnes_scope1_fleet": scope1_co2_tonnes(),
            "engine_idle_time_pct": 9.4,
            "harsh_braking_events_per_1000km": 2.7,
            "avg_stops_per_tour": 11.6,
            "avg_loading_wait_minutes_at_customer": 38,
        },
        "by_depot": [
            {
                "depot": depot,
                "tractors": n,
                "km_driven": k,
                "km_per_tractor": round(k / n),
            }
            for (depot, n), k in zip(TRACTORS.items(), depot_km, strict=True)
        ],
        "monthly": [
            {"month": f"{YEAR}-{i + 1:02d}", "km_driven": k, "empty_km_pct": e}
            for i, (k, e) in enumerate(zip(km, _EMPTY_KM, strict=True))
        ],
        "integration": {
            "eta_sent_to_tms": False,
            "eta_shown_in_customer_portal": False,
            "note": (
                "Positions are visible to planners in the Webfleet web app only. RoadBase TMS receives "
                "trip start/stop events once per night through a CSV export, so customer-facing ETAs "
                "are still calculated from the planned route, not from live positions."
            ),
        },
        "known_data_issues": [
            "Trailer trackers (61 of 212 trailers) are not linked to consignment numbers.",
            "Geofences for 140 customer sites were drawn in 2019 and 23 of them are out of date.",
            "Subcontracted trucks (38% of linehaul km) send no telematics data at all.",
        ],
    }


# ---------------------------------------------------------------- the operations workbook

WORKBOOK_FILENAME = "operations-data-2025.xlsx"
TICKETS_FILENAME = "support-tickets-sample-2025-11.csv"
TELEMATICS_FILENAME = "fleet-telematics-2025.json"


def workbook_sheets() -> list[dict[str, object]]:
    """Sheets of the operations workbook: name, title, source note, header, rows, column widths."""
    ship = monthly_shipments()
    picks = warehouse_picks()
    inv = carrier_invoices()
    return [
        {
            "name": "About",
            "title": "Northwind Logistics - operations data 2025",
            "note": "Extract prepared by Joris Visser (BI analyst) on 12 January 2026 for the AI readiness assessment.",
            "header": ["Sheet", "Content", "Source"],
            "rows": [
                ["Monthly_Shipments", "Consignments, pallets, on-time delivery and damage claims per month", "RoadBase TMS via Snowflake"],
                ["Warehouse_Picks", "Order lines, picking hours and agency hours per site and month", "StockPilot WMS via Snowflake; Duisburg from LagerPro reports (manual)"],
                ["Claims_by_Cause", "Damage claims by root cause and quarter (classified by hand from free text)", "Zendesk and site claim logs"],
                ["Lanes", "Consignments and service per lane", "RoadBase TMS via Snowflake"],
                ["Carrier_Invoices", "Subcontractor invoices handled by accounts payable", "Dynamics 365 Finance"],
            ],
            "widths": [22, 70, 60],
        },
        {
            "name": "Monthly_Shipments",
            "title": "Consignments and service per month, 2025",
            "note": "Source: Snowflake mart TRANSPORT.FCT_CONSIGNMENT_DAILY (nightly TMS export). On time = delivered within the agreed slot.",
            "header": ["Month", "Consignments", "Pallets", "On time", "Late", "On-time %", "Damage claims", "Claims per 100"],
            "rows": [[r["month"], r["consignments"], r["pallets"], r["on_time"], r["late"], r["on_time_pct"],
                      r["claims"], round(float(r["claim_rate_pct"]), 2)] for r in ship]
            + [["Total 2025", CONSIGNMENTS, PALLETS, sum(int(r["on_time"]) for r in ship),
                sum(int(r["late"]) for r in ship), ON_TIME_PCT, CLAIMS, 3.2]],
            "widths": [12, 14, 12, 12, 10, 11, 14, 14],
        },
        {
            "name": "Warehouse_Picks",
            "title": "Warehouse order lines and labour per site and month, 2025",
            "note": "Picking hours are direct picking hours only. Duisburg figures were typed in from monthly LagerPro PDF reports.",
            "header": ["Month", "Site", "Order lines", "Picking hours", "Picks per hour", "Agency hours"],
            "rows": [[r["month"], r["site"], r["order_lines"], r["pick_hours"], r["picks_per_hour"], r["temp_hours"]]
                     for r in picks],
            "widths": [12, 12, 14, 14, 14, 14],
        },
        {
            "name": "Claims_by_Cause",
            "title": f"Damage claims by root cause, {YEAR}",
            "note": "Causes classified by hand from the free-text field by the QHSE team; 'Other / unknown' includes claims without a usable description.",
            "header": ["Root cause", "Q1", "Q2", "Q3", "Q4", "Total"],
            "rows": [[c["cause"], c["Q1"], c["Q2"], c["Q3"], c["Q4"], c["total"]] for c in claims_by_cause()],
            "widths": [42, 10, 10, 10, 10, 10],
        },
        {
            "name": "Lanes",
            "title": "Consignments and service by lane, 2025",
            "note": "Subcontracted = share of consignments carried on linehaul or delivery by a subcontractor.",
            "header": ["Lane", "Consignments", "Share %", "On-time %", "Avg transit days", "Subcontracted %"],
            "rows": [[r["lane"], r["consignments"], r["share_pct"], r["on_time_pct"], r["avg_transit_days"],
                      r["subcontracted_pct"]] for r in lanes()],
            "widths": [34, 14, 10, 10, 16, 16],
        },
        {
            "name": "Carrier_Invoices",
            "title": "Subcontractor (carrier) invoices, accounts payable, 2025",
            "note": "All carrier invoices are matched by hand against TMS trips and PODs; auto-matching is not configured in Dynamics 365.",
            "header": ["Month", "Invoices received", "Matched manually", "Auto-matched", "With discrepancy",
                       "Discrepancy %", "Avg days to approve"],
            "rows": [[r["month"], r["invoices_received"], r["matched_manually"], r["auto_matched"],
                      r["with_discrepancy"], r["discrepancy_pct"], r["avg_days_to_approve"]] for r in inv]
            + [["Total 2025", CARRIER_INVOICES, CARRIER_INVOICES, 0, sum(int(r["with_discrepancy"]) for r in inv),
                round(100 * sum(int(r["with_discrepancy"]) for r in inv) / CARRIER_INVOICES, 1), 34]],
            "widths": [12, 16, 16, 13, 16, 13, 18],
        },
    ]


def data_facts() -> list[tuple[str, str, int | None, str]]:
    """Checkable facts in the data files (the CSV fact is the longest ticket of the sample)."""
    longest = max(support_tickets(), key=lambda r: float(r["handling_minutes"]))
    return [
        ("TRANSPORT.FCT_CONSIGNMENT_DAILY", WORKBOOK_FILENAME, None, "sheet Monthly_Shipments, source note"),
        ("Duisburg figures were typed in from monthly LagerPro PDF reports", WORKBOOK_FILENAME, None, "sheet Warehouse_Picks, note"),
        ("auto-matching is not configured in Dynamics 365", WORKBOOK_FILENAME, None, "sheet Carrier_Invoices, note"),
        (str(longest["subject"]), TICKETS_FILENAME, None,
         f"row {longest['ticket_id']} ({longest['category']}, {longest['handling_minutes']} min)"),
        ("Geofences for 140 customer sites were drawn in 2019", TELEMATICS_FILENAME, None, "known_data_issues"),
        ("as agreed with the works council on 14 March 2023", TELEMATICS_FILENAME, None, "privacy"),
    ]
