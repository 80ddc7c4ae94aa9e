"""Text of the three PDF reports of the Northwind Logistics sample, one list of blocks per page.

Block kinds (rendered by make_sample.py):
  ("cover", title, subtitle, lines)   ("title", text)   ("h", text)   ("p", text)
  ("lead", bold_lead, text)   ("bullets", [text, ...])   ("table", header, rows, widths_mm, caption)
  ("note", text)
Each page of a report is rendered on its own page; make_sample.py checks that nothing overflows.
"""

from __future__ import annotations

import sample_data as d


def H(text: str) -> tuple:
    return ("h", text)


def P(text: str) -> tuple:
    return ("p", text)


def L(lead: str, text: str) -> tuple:
    return ("lead", lead, text)


def B(*items: str) -> tuple:
    return ("bullets", list(items))


def T(header: list[str], rows: list[list[str]], widths: list[float] | None = None, caption: str = "") -> tuple:
    return ("table", header, rows, widths, caption)


def N(text: str) -> tuple:
    return ("note", text)


def n(value: float, digits: int = 0) -> str:
    """1234567 -> '1,234,567'; digits for decimals."""
    return f"{value:,.{digits}f}"


# ============================================================== annual report 2025

def _annual_report_pages() -> list[list[tuple]]:
    sites = {s["site"]: s for s in d.site_summary()}
    lanes = d.lanes()
    co2_fleet = d.scope1_co2_tonnes()
    co2_other, co2_scope2, co2_total = 640, 1_150, 41_200
    co2_scope3 = co2_total - co2_fleet - co2_other - co2_scope2
    return [
        # ---- page 1
        [
            ("cover", "Annual Report 2025", "Northwind Logistics B.V.", [
                "Regional road freight, contract warehousing and value-added logistics",
                "in the Netherlands, Belgium, Luxembourg and western Germany",
                "",
                "Tilburg, 24 February 2026",
            ]),
            H("About this report"),
            P("This annual report covers the financial year 1 January to 31 December 2025 of Northwind Logistics B.V. "
              "and its subsidiaries Northwind Logistics Deutschland GmbH (Duisburg) and Northwind Warehousing Venlo B.V. "
              "The financial statements were adopted by the Supervisory Board on 24 February 2026. Figures are in euro "
              "and rounded; operational figures come from our transport management system (RoadBase TMS), our warehouse "
              "management systems and the Snowflake data warehouse."),
            P("Registered office: Kraaivenstraat 41, 5048 AB Tilburg, the Netherlands. Chamber of Commerce 18034571."),
        ],
        # ---- page 2
        [
            ("title", "Northwind at a glance"),
            P("Northwind Logistics was founded in 1987 by Jan Verhoeven with three trucks and a rented shed in Tilburg. "
              "It is still family-owned: the Verhoeven family holds 100% of the shares, and Marieke Verhoeven has been "
              "chief executive since 2019. Today Northwind moves pallets and part loads for industrial, retail, "
              "e-commerce, automotive and food customers across the Benelux and North Rhine-Westphalia, and runs "
              "contract warehouses in Tilburg, Venlo, Rotterdam and Duisburg."),
            P("At the end of 2025 Northwind employed 612 people, operated 164 own tractors and 212 trailers, and served "
              "1,140 active customers, 140 of whom exchange orders and status messages with us by EDI."),
            T(["Key figures", "2025", "2024", "Change"], [
                ["Revenue (EUR million)", "148.6", "139.2", "+6.8%"],
                ["EBITDA (EUR million)", "14.1", "13.6", "+3.7%"],
                ["EBITDA margin", "9.5%", "9.8%", "-0.3 pt"],
                ["Net profit (EUR million)", "4.3", "4.2", "+2.4%"],
                ["Consignments delivered", n(d.CONSIGNMENTS), n(d.CONSIGNMENTS_2024), "+3.6%"],
                ["Pallets moved (million)", "1.46", "1.39", "+5.0%"],
                ["Warehouse order lines picked (million)", "9.62", "9.05", "+6.3%"],
                ["On-time delivery", "91.4%", "92.1%", "-0.7 pt"],
                ["Damage-claim rate (claims per 100 consignments)", "3.2", "2.7", "+0.5"],
                ["Employees at year end (headcount)", "612", "589", "+23"],
                ["Own tractors / of which battery-electric", "164 / 6", "158 / 2", "+6 / +4"],
                ["Warehouse space (m²)", "100,000", "100,000", "-"],
            ], [80, 28, 28, 24], "Table 1 - Key figures"),
            H("Our three businesses"),
            B("Road freight (58% of revenue): pallet distribution, part loads and full loads, with daily linehaul between our four hubs.",
              "Contract warehousing (35%): storage, order picking and dispatch for 86 warehousing customers.",
              "Value-added services (7%): co-packing, labelling, returns handling and kitting, mainly in Venlo and Tilburg."),
        ],
        # ---- page 3
        [
            ("title", "Letter from the CEO"),
            P("Dear customers, colleagues and partners,"),
            P("2025 was a year of growth, but not of the kind of growth we want. Revenue rose 6.8% to EUR 148.6 million, "
              "helped by new warehousing contracts in Venlo and higher volumes from our e-commerce customers. At the same "
              "time our EBITDA margin slipped from 9.8% to 9.5%. Wages rose 6.1% under the collective labour agreement, "
              "we paid more for subcontracted trucks, and we relied on expensive agency staff to absorb peaks that we saw "
              "coming too late."),
            P("Our service did not meet our own standard. We delivered 91.4% of consignments on time, against a target of "
              "95%, and damage claims rose to 3.2 per 100 consignments. Our customers noticed: our customer service team "
              "handled 96,400 tickets, 8% more than in 2024, and many of them were questions that a good track-and-trace "
              "service would have answered before the customer had to ask."),
            P("I am proud of how our people responded. Our drivers kept the network running through a hard winter and a "
              "record November peak. Our warehouse teams in Venlo took on two large new customers within six months. And "
              "Duisburg renewed its TISAX label, which our automotive customers require."),
            P("We also learned where we are held back. Much of our daily planning still runs on spreadsheets and on the "
              "experience of a few colleagues. Our transport planners, our shift leaders and our finance team spend hours "
              "each day copying information from one system to another. We have good data in our Snowflake warehouse, "
              "but we use it mostly to look back, not to decide what to do tomorrow."),
            P("In December the Supervisory Board approved our strategy Northwind 2028. It sets three goals: reliable "
              "service (95% on time), a healthier margin (11.5% EBITDA by 2028) and a better experience for customers "
              "and employees. We will invest in real-time track and trace, in the replacement of our old integration "
              "platform, and in a first data and AI programme. We will do this carefully: with our works council, within "
              "the GDPR, and without forced redundancies as a result of automation."),
            P("2026 will not be easy. The Dutch truck charge that starts on 1 July 2026 will add costs that we must pass "
              "on, and the driver shortage is not over. But we start the year with loyal customers, a strong balance "
              "sheet and a clear plan."),
            P("Marieke Verhoeven, Chief Executive Officer"),
        ],
        # ---- page 4
        [
            ("title", "Market environment and 2025 highlights"),
            H("Market"),
            P("Road freight volumes in the Netherlands were broadly flat in 2025 (-0.4% in tonne-kilometres), while "
              "volumes to and from Germany fell for the second year in a row as German industry stayed weak. Parcel and "
              "e-commerce flows grew again, and retailers kept shifting stock from their own distribution centres to "
              "contract logistics providers. Prices for subcontracted capacity rose by about 5% as the shortage of "
              "professional drivers continued: there were an estimated 9,000 open driver vacancies in the Netherlands at "
              "the end of 2025."),
            P("Customers ask for more than a truck. Tender documents now routinely require real-time visibility, "
              "electronic proof of delivery within one hour, emission reports per shipment and EDI or API connections. "
              "Three of the tenders we lost in 2025 were lost on visibility and reporting, not on price."),
            H("Highlights of 2025"),
            B("Venlo started a three-year contract with Hollander Home & Garden in April 2025, adding 4,200 pallet "
              "locations and around 600,000 order lines a year.",
              "An e-commerce fulfilment contract with Kleurrijk Kids (children's clothing) went live in Venlo in September.",
              "Six battery-electric tractors entered service on city routes from Tilburg and Rotterdam; four were added in 2025.",
              "Duisburg renewed its TISAX assessment (level 2) in June; Northwind kept its ISO 27001 certificate, first obtained in 2024.",
              "Rotterdam cross-dock was re-laid out in the summer to separate inbound and outbound flows.",
              "A pilot of Microsoft 365 Copilot started in October with 40 users in finance, sales and customer service.",
              "Northwind was named Logistics Employer of the Year in North Brabant by the regional transport association."),
            H("Lost business"),
            P("We lost the warehousing contract of a consumer electronics distributor in Tilburg (EUR 2.3 million revenue "
              "in 2024), which moved its stock to a provider offering a customer portal with live stock and order status. "
              "The vacated space was filled by existing customers within four months."),
        ],
        # ---- page 5
        [
            ("title", "Operational performance"),
            P("Northwind achieved an on-time delivery rate of 91.4% in 2025, against 92.1% in 2024 and a target of 95%. "
              "The decline was concentrated in the second half of the year: the fourth quarter reached only 90.5%, "
              "as November volumes were 9% above plan and planners had to add subcontracted tours at short notice. Lanes "
              "into Germany remain the weakest, mainly because more of that work is subcontracted."),
            P(f"Damage claims rose to 3.2 per 100 consignments, or {n(d.CLAIMS)} damage claims in the year, compared "
              "with 2.7 in 2024. Claims cost EUR 1.7 million after insurance recoveries. Most damage arises in loading "
              "and in cross-docking, and our drivers' app does not yet link damage photos to the consignment, which makes "
              "claims slow to handle and hard to analyse."),
            T(["Indicator", "2025", "2024", "Target"], [
                ["On-time delivery (consignments in agreed slot)", "91.4%", "92.1%", "95.0%"],
                ["Damage claims per 100 consignments", "3.2", "2.7", "below 2.0 (2028)"],
                ["Empty kilometres, own fleet", "18.7%", "17.9%", "15.0%"],
                ["Average load factor, own fleet", "71%", "73%", "78%"],
                ["Picks per picking labour hour (network)", "112", "115", "120"],
                ["Inventory location accuracy (cycle counts)", "96.2%", "97.0%", "99.5%"],
                ["Order picking accuracy", "99.1%", "99.3%", "99.6%"],
                ["Customer service first-contact resolution", "68%", "71%", "80%"],
                ["Electronic proof of delivery within 1 hour", "63%", "58%", "95%"],
            ], [86, 24, 24, 36], "Table 2 - Operational indicators"),
            P("Warehouse productivity fell slightly to 112 picks per labour hour, mainly because Venlo absorbed two new "
              "customers and a high share of agency staff during the peak. Inventory accuracy at Duisburg (92.4%) is well "
              "below the rest of the network; its warehouse system is scheduled to be replaced in 2026-2027."),
        ],
        # ---- page 6
        [
            ("title", "Road freight"),
            P("Road freight revenue grew 5.3% to EUR 86.2 million. We delivered 412,600 consignments, 3.6% more than in "
              "2024, with an average of 3.5 pallets per consignment. Our own fleet of 164 tractors drove 16.9 million "
              "kilometres; 74 regular subcontractors carried the rest of the linehaul and most of the long-distance "
              "deliveries in Germany. Subcontractors drove 38% of all linehaul kilometres, up from 35% in 2024."),
            T(["Lane", "Consignments", "Share", "On time", "Avg transit (days)", "Subcontracted"],
              [[r["lane"], n(r["consignments"]), f"{r['share_pct']}%", f"{r['on_time_pct']}%",
                f"{r['avg_transit_days']}", f"{r['subcontracted_pct']}%"] for r in lanes],
              [58, 24, 16, 18, 28, 26], "Table 3 - Consignments and service by lane, 2025"),
            P("Each afternoon our planning desks in Tilburg, Venlo and Duisburg turn the next day's orders into tours. "
              "The desks work with RoadBase TMS for orders and with their own spreadsheets for the actual tour building; "
              "the TMS has no route optimisation module. In 2025 our own trucks ran 18.7% of their kilometres empty, "
              "up from 17.9%, and the average load factor fell to 71%."),
            P("Fuel and tolls cost EUR 14.2 million. Average diesel consumption improved slightly to 31.8 litres per "
              "100 km thanks to driver coaching and newer trucks. From 1 July 2026 the Dutch truck charge will apply to "
              "all our Dutch kilometres; we estimate the annual cost at EUR 1.9 million before pass-through to customers."),
            H("Outlook for road freight"),
            P("In 2026 we will connect live truck positions to customer-facing arrival times, pilot route optimisation "
              "on one planning desk, and renegotiate subcontractor rates with our 20 largest partners. Our aim is to bring "
              "empty running back below 17% within two years."),
        ],
        # ---- page 7
        [
            ("title", "Contract warehousing and value-added services"),
            P("Contract warehousing revenue rose 7.8% to EUR 51.3 million and value-added services grew 14.4% to "
              "EUR 11.1 million. Our four sites picked 9.62 million order lines for 86 warehousing customers. Occupancy "
              "averaged 91% across the network and reached 98% in Venlo in November."),
            T(["Site", "Space (m²)", "Opened", "Order lines 2025", "Picks per labour hour", "Main sectors"],
              [[s, n(sites[s]["m2"]), str(sites[s]["opened"]), n(sites[s]["order_lines"]),
                str(sites[s]["picks_per_hour"]), sector] for s, sector in [
                    ("Tilburg", "Retail, industrial"),
                    ("Venlo", "E-commerce, home & garden"),
                    ("Rotterdam", "Port cross-dock, food"),
                    ("Duisburg", "Automotive parts"),
                ]],
              [24, 22, 16, 30, 28, 50], "Table 4 - Warehouse sites"),
            P("Tilburg is our largest and most productive site and runs StockPilot WMS with radio-frequency scanning. "
              "Venlo, also on StockPilot, serves e-commerce and home-and-garden customers with strong seasonal peaks: "
              "November and December volumes were about 40% above the yearly average. Rotterdam is a cross-dock for port "
              "flows and food retail rather than a storage site."),
            P("Duisburg, acquired in 2021 together with Rhein-Ruhr Lager GmbH, serves automotive suppliers under strict "
              "sequencing and TISAX requirements. It still runs the LagerPro system inherited from the previous owner, "
              "which is not connected to our data warehouse. Migration to StockPilot is planned for 2026-2027."),
            H("Value-added services"),
            P("Co-packing and returns handling grew fastest. Returns for e-commerce customers reached 412,000 items, "
              "each graded by hand into A, B or C stock. Labelling and kitting for industrial customers remained stable."),
        ],
        # ---- page 8
        [
            ("title", "People and organisation"),
            P("Northwind employed 612 people at the end of 2025 (574 FTE), 23 more than a year earlier. Most of the growth "
              "was in driving and warehouse roles. In addition we used agency workers for about 192,000 hours, mainly "
              "in Venlo during the peak."),
            T(["Function", "Headcount 2025", "Headcount 2024"], [
                ["Drivers", "238", "231"],
                ["Warehouse operations", "196", "188"],
                ["Transport planning and dispatch", "27", "26"],
                ["Customer service", "38", "35"],
                ["Finance and administration", "31", "30"],
                ["Sales and account management", "22", "21"],
                ["IT and data", "14", "13"],
                ["Fleet maintenance", "18", "18"],
                ["HR, QHSE and management", "28", "27"],
                ["Total", "612", "589"],
            ], [80, 40, 40], "Table 5 - Employees by function (headcount at 31 December)"),
            P("Driver turnover was 19% and we ended the year with 23 open driver vacancies, which we filled with "
              "subcontractors. Absenteeism fell from 7.1% to 6.4%. The average age of our drivers is 49, and 31% of them "
              "will reach retirement age within ten years. Among the transport planners, two of the most experienced "
              "colleagues will retire in 2027."),
            P("Staff turnover in customer service was 24%, well above the company average of 14%. Exit interviews point "
              "to repetitive work and the need to search several systems for basic shipment information."),
            P("We invested EUR 0.9 million in training, including the Northwind Driver Academy, which trained 41 new "
              "drivers in 2025, and a data literacy course followed by 62 office staff. The works council "
              "(ondernemingsraad) was consulted on the new planning-desk structure, the Copilot pilot and the use of "
              "telematics data; all three received a positive opinion."),
        ],
        # ---- page 9
        [
            ("title", "Sustainability"),
            P("Our emissions are dominated by transport. We report scope 1 and 2 emissions for our own operations and the "
              "scope 3 emissions of subcontracted transport, calculated with the GLEC framework."),
            T(["Emissions (tonnes CO2e)", "2025", "2024"], [
                ["Scope 1 - own fleet (diesel)", n(co2_fleet), "13,950"],
                ["Scope 1 - forklifts, heating", n(co2_other), "690"],
                ["Scope 2 - electricity (market-based)", n(co2_scope2), "1,260"],
                ["Scope 3 - subcontracted transport", n(co2_scope3), "24,200"],
                ["Total", n(co2_total), "40,100"],
                ["kg CO2e per pallet moved", "28.2", "28.8"],
            ], [90, 35, 35], "Table 6 - Greenhouse gas emissions"),
            P("Emissions per pallet fell 2% to 28.2 kg. Our target is a 20% reduction against 2023 (29.6 kg) by 2028. "
              "The main levers are higher load factors, fewer empty kilometres, electric trucks on city routes and "
              "better data on subcontracted transport, for which we now rely on average emission factors."),
            B("Six battery-electric tractors drove 372,000 km in 2025; we plan to have 30 by 2028.",
              "The 1.9 MWp solar installation on the Tilburg roof produced 1,750 MWh, 41% of the site's electricity use.",
              "HVO100 renewable diesel is offered to customers as a paid option; 2.1% of our diesel was HVO in 2025.",
              "Customers increasingly ask for CO2 per shipment: we produced 310 customer emission reports by hand."),
            P("Safety: we recorded 9 lost-time injuries (2024: 12), and no fatal accidents. Forklift incidents in Venlo "
              "rose during the peak, when many new agency workers were on site."),
        ],
        # ---- page 10
        [
            ("title", "Technology and data"),
            P("IT spending was EUR 3.9 million, or 2.6% of revenue, including EUR 1.4 million of capitalised software "
              "and hardware. Our IT and data team has 14 people, of whom two are data engineers and one is a BI analyst; "
              "development of the transport and warehouse systems is outsourced to their vendors."),
            T(["Area", "System", "Comment"], [
                ["Transport management", "RoadBase TMS 7.4 (on-premise)", "Orders, trips, invoicing; no optimisation module"],
                ["Warehouse management", "StockPilot WMS 5.2; LagerPro 3 (Duisburg)", "Duisburg migration 2026-2027"],
                ["Finance", "Microsoft Dynamics 365 Finance", "Since 2022; accounts payable largely manual"],
                ["Sales and service", "Salesforce Sales Cloud; Zendesk", "Not connected to the TMS"],
                ["Customer portal", "MyNorthwind (2017)", "Status updates every 4 hours"],
                ["Data and reporting", "Snowflake, dbt, Power BI", "Data warehouse live since 2023"],
                ["Integration and EDI", "Microsoft BizTalk Server 2016", "Replacement planned in 2026"],
                ["Telematics", "Webfleet", "All 164 tractors"],
            ], [40, 62, 68], "Table 7 - Main systems"),
            P("Since 2023 the Snowflake data warehouse has brought together data from finance, CRM, customer service and "
              "a nightly export of the TMS. Forty-six Power BI reports are in use, and management now receives weekly "
              "service dashboards. Real-time data is not yet available: the TMS, the telematics platform and the "
              "customer portal exchange data in batches."),
            P("Security is a board-level topic. We hold ISO 27001 certification, and as a medium-sized transport company "
              "we expect to fall under the Dutch implementation of the NIS2 directive. In 2025 we ran two phishing "
              "simulations, introduced multi-factor authentication for all drivers' app accounts and completed a "
              "penetration test with no critical findings."),
            P("Our policy on data and AI, updated in September 2025, allows generative AI only in approved tools within "
              "our Microsoft tenant and requires a data protection impact assessment for any use of personal data."),
        ],
        # ---- page 11
        [
            ("title", "Risk management"),
            P("The Management Board reviews the main risks each quarter with the Audit Committee of the Supervisory "
              "Board. The table shows the risks we consider most important, our assessment and the main measures."),
            T(["Risk", "Rating", "Main measures"], [
                ["Shortage of drivers and warehouse staff", "High", "Driver Academy, retention pay, subcontractor panel"],
                ["Cyber attack or ransomware stopping operations", "High", "ISO 27001, MFA, offline backups, NIS2 readiness"],
                ["Service failure with key customers", "High", "Weekly service reviews, real-time track and trace"],
                ["Ageing integration platform (BizTalk 2016)", "Medium", "Replacement project approved for 2026"],
                ["Breach of personal data (GDPR)", "Medium", "DPO, DPIAs, data policy, telematics agreement"],
                ["Fuel, toll and wage cost inflation", "Medium", "Indexation and pass-through clauses"],
                ["Customer concentration", "Medium", "Growth in mid-sized accounts"],
                ["Dependence on key people in planning", "Medium", "Documenting planning rules, decision support tools"],
            ], [62, 18, 90], "Table 8 - Principal risks"),
            P("Customer concentration remains a point of attention: the ten largest customers accounted for 41% of "
              "revenue in 2025, and the largest single customer for 7%. Contracts with eight of the ten run beyond 2026."),
            P("The knowledge of our most experienced planners is not written down. Tours, customer time windows and "
              "informal agreements with receivers live in spreadsheets and in people's heads. We treat this as an "
              "operational risk and will document planning rules in 2026 as part of our planning improvement project."),
            P("We do not use derivatives other than a fuel price cap for 30% of expected 2026 diesel volumes."),
        ],
        # ---- page 12
        [
            ("title", "Financial review"),
            P("Revenue rose 6.8% to EUR 148.6 million. EBITDA increased to EUR 14.1 million, but the margin fell to "
              "9.5% because costs grew faster than revenue."),
            T(["Income statement (EUR million)", "2025", "2024"], [
                ["Revenue", "148.6", "139.2"],
                ["Personnel expenses", "(54.1)", "(51.0)"],
                ["Subcontracted transport", "(38.6)", "(35.9)"],
                ["Fuel and tolls", "(14.2)", "(14.6)"],
                ["Facility costs", "(11.3)", "(10.9)"],
                ["Temporary agency labour", "(6.2)", "(5.1)"],
                ["IT costs (operating)", "(3.9)", "(3.5)"],
                ["Claims and insurance", "(2.4)", "(1.9)"],
                ["Other operating expenses", "(3.8)", "(2.7)"],
                ["EBITDA", "14.1", "13.6"],
                ["Depreciation and amortisation", "(7.3)", "(6.9)"],
                ["EBIT", "6.8", "6.7"],
                ["Net finance costs", "(1.1)", "(1.0)"],
                ["Income tax", "(1.4)", "(1.5)"],
                ["Net profit", "4.3", "4.2"],
            ], [90, 30, 30], "Table 9 - Consolidated income statement"),
            P("Subcontracted transport rose 7.5% as we covered driver vacancies and the November peak with partners. "
              "Temporary agency labour rose to EUR 6.2 million from EUR 5.1 million, because volumes in Venlo were "
              "forecast week by week by hand and agency staff were often booked at short notice at premium rates."),
            P("Administrative work remains labour-intensive. Accounts payable employs 9 FTE who match subcontractor "
              "invoices by hand against orders and proofs of delivery in Dynamics 365; in 2025 they processed 38,400 "
              "carrier invoices, of which 22% showed a discrepancy in rates, surcharges or waiting time. Checks recovered "
              "EUR 410,000 of overbilling, but the average invoice took 34 days to approve."),
        ],
        # ---- page 13
        [
            ("title", "Balance sheet and cash flow"),
            T(["Balance sheet at 31 December (EUR million)", "2025", "2024"], [
                ["Property, plant and equipment", "61.8", "59.9"],
                ["Intangible assets (incl. goodwill Rhein-Ruhr Lager)", "6.4", "6.9"],
                ["Right-of-use assets", "9.1", "9.6"],
                ["Trade and other receivables", "23.5", "21.6"],
                ["Cash", "4.6", "4.1"],
                ["Total assets", "105.4", "102.1"],
                ["Equity", "38.2", "35.1"],
                ["Borrowings (non-current and current)", "26.1", "25.3"],
                ["Lease liabilities", "9.1", "9.6"],
                ["Provisions", "1.6", "1.7"],
                ["Trade payables and other liabilities", "30.4", "30.4"],
                ["Total equity and liabilities", "105.4", "102.1"],
            ], [100, 30, 30], "Table 10 - Consolidated balance sheet"),
            P("We ended the year with net debt of EUR 21.5 million, 1.5 times EBITDA, well within our bank covenant of "
              "3.0 times. Days sales outstanding were 52 days (2024: 50). Solvency was 36%."),
            T(["Cash flow (EUR million)", "2025", "2024"], [
                ["EBITDA", "14.1", "13.6"],
                ["Change in working capital", "(1.6)", "(0.8)"],
                ["Interest and tax paid", "(2.4)", "(2.6)"],
                ["Cash flow from operations", "10.1", "10.2"],
                ["Capital expenditure", "(9.8)", "(8.4)"],
                ["Disposals", "0.6", "0.5"],
                ["Dividend paid", "(1.2)", "(1.2)"],
                ["Change in borrowings and leases", "0.8", "(1.2)"],
                ["Change in cash", "0.5", "(0.1)"],
            ], [100, 30, 30], "Table 11 - Cash flow"),
            P("Capital expenditure of EUR 9.8 million went to trucks and trailers (EUR 5.1 million), racking and a "
              "mezzanine in Venlo (EUR 2.2 million), IT and software (EUR 1.4 million) and other assets (EUR 1.1 million)."),
        ],
        # ---- page 14
        [
            ("title", "Segment information and outlook 2026"),
            T(["Segment (EUR million)", "Revenue 2025", "Revenue 2024", "EBITDA 2025", "EBITDA 2024"], [
                ["Road freight", "86.2", "81.9", "6.3", "6.6"],
                ["Contract warehousing", "51.3", "47.6", "6.5", "5.9"],
                ["Value-added services", "11.1", "9.7", "1.3", "1.1"],
                ["Total", "148.6", "139.2", "14.1", "13.6"],
            ], [50, 30, 30, 30, 30], "Table 12 - Segments"),
            P("Road freight margins came under the most pressure: subcontracting and wage costs rose faster than rates, "
              "and empty running increased. Warehousing improved thanks to higher occupancy."),
            H("Outlook 2026"),
            P("We expect revenue of EUR 158 to 162 million in 2026, driven by full-year effects of the Venlo contracts and "
              "price increases. We plan capital expenditure of EUR 11.5 million, including eight battery-electric "
              "tractors, the replacement of the integration platform and the first year of the data and AI programme."),
            P("The Dutch truck charge will cost about EUR 1.9 million a year from July 2026. 78% of our contracts contain a "
              "toll pass-through clause; for the rest we will renegotiate during 2026."),
            P("Our priorities for 2026 follow the Northwind 2028 strategy: on-time delivery of at least 93% in 2026 on the "
              "way to 95%, a lower damage-claim rate, real-time track and trace for customers from the third quarter, and "
              "the first AI use cases in production by the end of the year. We will continue to grow with our customers "
              "while keeping net debt below two times EBITDA."),
            P("Tilburg, 24 February 2026 - Management Board: Marieke Verhoeven (CEO), Thomas Brandt (COO), Anouk de Wit (CFO). "
              "Supervisory Board: Hendrik Smit (chair), Ingrid Bakker, Frank Vermeulen."),
        ],
    ]


ANNUAL_REPORT = {
    "filename": "annual-report-2025.pdf",
    "title": "Northwind Logistics - Annual Report 2025",
    "author": "Northwind Logistics B.V.",
    "footer": "Northwind Logistics B.V. - Annual Report 2025",
    "pages": _annual_report_pages,
}


# ============================================================== operations review 2025

def _ops_review_pages() -> list[list[tuple]]:
    quarters = d.quarterly_shipments()
    sites = {s["site"]: s for s in d.site_summary()}
    causes = d.claims_by_cause()
    picks = d.warehouse_picks()
    temp = {s: sum(int(r["temp_hours"]) for r in picks if r["site"] == s) for s in d.SITES}
    crossdock = next(c for c in causes if c["cause"].startswith("Cross-dock"))
    return [
        # ---- page 1
        [
            ("cover", "Operations Review 2025", "Northwind Logistics B.V.", [
                "Prepared by Thomas Brandt, Chief Operating Officer, with the site and planning managers",
                "For the Management Team - internal - 20 January 2026",
            ]),
            H("Executive summary"),
            B(f"Volume grew 3.6% to {n(d.CONSIGNMENTS)} consignments and 9.62 million warehouse order lines.",
              "Service slipped: on-time delivery was 91.4% for the year, and Q4 on-time performance dropped to 90.5% "
              "during the November peak.",
              "Damage claims rose to 3.2 per 100 consignments, 3.6 in the fourth quarter; loading and cross-docking "
              "cause more than half of them.",
              "Productivity fell to 112 picks per labour hour, and agency labour cost rose by more than a fifth.",
              "Our planning is manual: tours are built in spreadsheets and warehouse labour is forecast by hand. "
              "Both break down at peak volumes.",
              "Data quality in the warehouse systems and the lack of real-time data between TMS, telematics and the "
              "customer portal limit what we can automate."),
            P("This review sets out the figures behind these points and ends with the improvement plan for 2026 that "
              "the Management Team agreed on 13 January."),
        ],
        # ---- page 2
        [
            ("title", "1. Network and volumes"),
            P(f"We delivered {n(d.CONSIGNMENTS)} consignments in 2025, 3.6% more than in 2024. On an average working day "
              "the network handled 1,650 consignments per working day and about 5,800 pallets, with peaks above 2,100 "
              "consignments in the last two weeks of November."),
            T(["Quarter", "Consignments", "Pallets", "On time", "Damage claims", "Claims per 100"],
              [[q["quarter"], n(q["consignments"]), n(q["pallets"]), f"{q['on_time_pct']}%", n(q["claims"]),
                f"{q['claim_rate_pct']}"] for q in quarters]
              + [["Year 2025", n(d.CONSIGNMENTS), n(d.PALLETS), "91.4%", n(d.CLAIMS), "3.2"]],
              [26, 28, 26, 22, 28, 26], "Table 1 - Volumes and service by quarter (source: RoadBase TMS via Snowflake)"),
            P("The fourth quarter was 12% busier than the first. The peak was visible in our customers' order data from "
              "early October, but we did not use that data for planning: the November capacity plan was based on the "
              "2024 peak plus an estimated 5%, while actual November volume came in 9% above that plan."),
            P("Network structure did not change in 2025. Tilburg remains the central hub, with daily linehaul to Venlo, "
              "Rotterdam and Duisburg and night trunks to Antwerp and Liege operated by subcontractors. Around 22% of "
              "consignments are transferred at least once between hubs; every transfer adds a handling step and a risk "
              "of delay or damage."),
            P("Customer mix: retail 34% of consignments, e-commerce 22%, industrial 19%, automotive 14% and food and "
              "beverage 11%. E-commerce consignments are smaller (1.9 pallets on average) and more often delivered to "
              "private addresses with narrow time windows."),
        ],
        # ---- page 3
        [
            ("title", "2. Service quality"),
            P("On-time delivery measures the share of consignments delivered within the agreed slot, as recorded by the "
              "driver's scan at delivery. The table shows the result per lane."),
            T(["Lane", "Consignments", "On time", "Subcontracted"],
              [[r["lane"], n(r["consignments"]), f"{r['on_time_pct']}%", f"{r['subcontracted_pct']}%"] for r in d.lanes()],
              [70, 32, 28, 32], "Table 2 - On-time delivery by lane, 2025"),
            P("Germany (other) remains the weakest lane at 85.2%, followed by North Rhine-Westphalia at 87.9%. Both "
              "rely heavily on subcontractors, whose trucks send us no position data; we learn about delays only when "
              "the receiver or the customer calls."),
            T(["Main reason for late delivery (sample of 1,200 late consignments)", "Share"], [
                ["Late departure from hub (loading not finished, late linehaul)", "29%"],
                ["Traffic and road works", "24%"],
                ["Subcontractor late or no-show", "21%"],
                ["Waiting time at previous stops", "14%"],
                ["Planning error (wrong time window, overloaded tour)", "8%"],
                ["Other", "4%"],
            ], [130, 30], "Table 3 - Reasons for late delivery"),
            P("Two findings stand out. First, most late deliveries are known to the driver or planner hours before the "
              "customer finds out, but there is no process to warn customers proactively. Second, waiting time at "
              "customers averaged 38 minutes per stop, and time windows in the TMS are often outdated, which makes "
              "tours unrealistic from the start."),
        ],
        # ---- page 4
        [
            ("title", "3. Warehouse productivity"),
            T(["Site", "Order lines", "Picking hours", "Picks per labour hour", "Location accuracy", "Agency hours"],
              [[s, n(sites[s]["order_lines"]), n(sites[s]["pick_hours"]), str(sites[s]["picks_per_hour"]), acc,
                n(temp[s])] for s, acc in [("Tilburg", "97.8%"), ("Venlo", "96.9%"), ("Rotterdam", "n/a"),
                                           ("Duisburg", "92.4%")]]
              + [["Network", "9,620,000", n(sum(int(s["pick_hours"]) for s in sites.values())), "112", "96.2%",
                  n(sum(temp.values()))]],
              [24, 28, 28, 30, 30, 28], "Table 4 - Warehouse productivity by site, 2025"),
            P("Tilburg improved to 124 picks per labour hour after the new pick-to-light zone went live in March. "
              "Venlo averaged 104 picks per labour hour, down from 111, because it started two new customers and ran "
              "with up to 45% agency staff in November and December. Duisburg's productivity is acceptable, but its "
              "inventory accuracy of 92.4% causes short picks and manual searches almost every shift."),
            P("Slotting is reviewed once a year by hand. In Venlo, 30% of the fastest-moving SKUs were not in the "
              "golden zone in the November audit, adding walking distance at the worst possible time."),
            P("Returns are a growing share of work in Venlo: 412,000 returned items were graded by hand in 2025. Each "
              "item is checked, photographed and booked to A, B or C stock, which takes 2.4 minutes on average."),
        ],
        # ---- page 5
        [
            ("title", "4. Claims and damage"),
            P(f"We registered {n(d.CLAIMS)} damage claims in 2025, 3.2 per 100 consignments. The rate rose every quarter "
              "and reached 3.6 in the fourth quarter."),
            T(["Root cause", "Q1", "Q2", "Q3", "Q4", "Total"],
              [[c["cause"], n(c["Q1"]), n(c["Q2"]), n(c["Q3"]), n(c["Q4"]), n(c["total"])] for c in causes]
              + [["Total", *[n(q["claims"]) for q in quarters], n(d.CLAIMS)]],
              [62, 20, 20, 20, 20, 22], "Table 5 - Damage claims by root cause"),
            P(f"Cross-dock handling in Rotterdam caused {n(crossdock['total'])} claims, most of them forklift damage to "
              "wrapped pallets during re-sorting. The summer re-layout reduced congestion but not the damage rate. "
              "Loading and load securing on our own trucks is the largest single cause."),
            P("Claims handling is slow and manual. A claim arrives by email or phone at customer service, is logged in "
              "Zendesk, and is then forwarded to the site manager, who looks up the consignment in RoadBase TMS, asks the "
              "driver for photos over WhatsApp and searches DocuStore for the signed proof of delivery. Each claim takes "
              "about 45 minutes of work across customer service and operations, and the median time to settle is 27 days."),
            P("Because root causes are typed as free text by site managers, the cause classification above had to be "
              "produced by hand from a sample; a reliable monthly analysis is not possible today."),
        ],
        # ---- page 6
        [
            ("title", "5. Transport planning and fleet utilisation"),
            P("Three planning desks with 11 route planners build next-day tours in Excel workbooks. Orders are "
              "exported from RoadBase TMS at 13:30, planners sort them by postcode and time window, assign them to "
              "trucks and subcontractors, and key the finished tours back into the TMS before 19:00. The TMS has no route "
              "optimisation; the planners use Google Maps and their own knowledge of customers and receivers."),
            T(["Planning desk", "Planners", "Consignments per day", "Tours per day", "Avg stops per tour",
               "Empty km (own fleet)"], [
                ["Tilburg - Netherlands", "5", "860", "78", "11.0", "16.9%"],
                ["Tilburg - Belgium/Luxembourg", "2", "395", "33", "12.0", "19.8%"],
                ["Venlo", "2", "290", "24", "12.1", "19.2%"],
                ["Duisburg", "2", "105", "7", "15.0", "24.6%"],
                ["Total / average", "11", "1,650", "142", "11.6", "18.7%"],
            ], [50, 18, 28, 22, 26, 28], "Table 6 - Planning desks, 2025"),
            P("Planning a day takes each desk about 5.5 hours, and late orders after 16:00 often force a rebuild of "
              "several tours. Quality depends on the individual planner: on identical order sets, tours built by our two "
              "most experienced planners have 9% fewer kilometres than the desk average. Both will retire in 2027."),
            P("Return loads are found by phone and through freight exchanges, often too late: our own trucks ran 18.7% "
              "of their kilometres empty, and the average load factor fell to 71%. A one-point reduction in empty "
              "kilometres is worth about EUR 0.4 million a year in fuel, tolls and driver hours."),
            P("Live truck positions are visible in Webfleet, but planners do not use them to replan during the day; "
              "telematics data reaches the TMS only through a nightly file."),
        ],
        # ---- page 7
        [
            ("title", "6. Labour planning and forecasting"),
            P("Warehouse labour is planned per site by the shift leaders. Each Thursday they estimate the next week's "
              "volumes per customer from emails, customer forecasts (where available) and last year's figures in an "
              "Excel workbook, and book agency staff with a 48-hour notice. There is no statistical forecast, and "
              "customer order data from EDI and the WMS is not used."),
            T(["Site", "Forecast error (MAPE, weekly)", "Agency hours", "Overtime share", "Short-notice agency bookings"], [
                ["Tilburg", "11%", n(temp["Tilburg"]), "8%", "18%"],
                ["Venlo", "17%", n(temp["Venlo"]), "14%", "37%"],
                ["Rotterdam", "13%", n(temp["Rotterdam"]), "9%", "22%"],
                ["Duisburg", "12%", n(temp["Duisburg"]), "10%", "20%"],
            ], [28, 40, 30, 28, 44], "Table 7 - Forecast accuracy and flexible labour, 2025"),
            P("The result is a forecast error (MAPE) of 17% at Venlo, the site with the most seasonal customers. When "
              "volumes are underestimated, agency staff are booked at 24 hours notice at a 25% premium, and overtime "
              "rises; when they are overestimated, booked staff are sent home with pay. Across the network, agency "
              "labour cost EUR 6.2 million, and overtime averaged 11% of hours worked."),
            P("The same manual approach is used in transport: the number of subcontracted tours for the next week is "
              "estimated by the planning desks on Friday. In the November peak the estimate was too low in three of four "
              "weeks, and spot subcontractors cost on average 18% more than contracted partners."),
            P("A better forecast does not need new data: two years of daily order history per customer are already in "
              "Snowflake for Tilburg, Venlo and Rotterdam. Duisburg data is missing because LagerPro is not connected."),
        ],
        # ---- page 8
        [
            ("title", "7. Data and systems issues affecting operations"),
            P("The operations team listed the data and system issues that cost the most time or cause the most errors. "
              "IT has reviewed the list; owners and target dates are in the improvement plan."),
            T(["Issue", "System", "Effect on operations"], [
                ["Missing dimensions or weight for 3,570 of the 48,900 active SKUs (7.3%)", "StockPilot WMS",
                 "Wrong pallet and truck capacity, manual re-measuring at inbound"],
                ["Inventory location accuracy of 92.4% in Duisburg", "LagerPro 3", "Short picks, searching, late loading"],
                ["Duisburg warehouse data not in Snowflake", "LagerPro 3", "No network-wide reporting or forecasting"],
                ["About 11% of delivery addresses are duplicates or outdated", "RoadBase TMS",
                 "Wrong time windows, failed deliveries, manual corrections by planners"],
                ["Customer portal updated from TMS every 4 hours", "MyNorthwind portal", "Customers call to ask for status"],
                ["Telematics positions not linked to consignments", "Webfleet / TMS", "No live ETA for customers or planners"],
                ["Proof-of-delivery scans stored as image files, indexed by date only", "DocuStore",
                 "Finding one POD takes several minutes"],
                ["Damage causes recorded as free text", "Zendesk / email", "No root-cause analysis without manual work"],
                ["EDI messages fail silently for some customers", "BizTalk Server 2016", "Orders missing from planning"],
            ], [68, 32, 70], "Table 8 - Data and system issues"),
            P("About 1.1 million POD images a year are stored in DocuStore. Drivers photograph the signed CMR with the "
              "driver app; the image is saved with the date and truck number, but not the consignment number. Customer "
              "service and finance look up PODs several hundred times a day."),
        ],
        # ---- page 9
        [
            ("title", "8. Improvement plan 2026"),
            P("The Management Team agreed the following actions on 13 January 2026. Progress is reviewed monthly."),
            T(["Action", "Owner", "Target date", "KPI"], [
                ["Real-time ETA from Webfleet in TMS and customer portal", "IT / COO", "Q3 2026", "Status contacts -30%"],
                ["Pilot route optimisation on the Venlo desk", "Planning manager", "May - Aug 2026", "Empty km -2 pt"],
                ["Weekly volume forecast per customer for Venlo and Tilburg", "Head of warehousing", "Q2 2026", "MAPE below 10%"],
                ["SKU master data clean-up and inbound measuring", "Site managers", "Q2 2026", "Missing dimensions below 1%"],
                ["Damage photo and cause capture in the driver app", "QHSE manager", "Q2 2026", "Claims per 100 below 2.8"],
                ["Rotterdam cross-dock handling training and camera checks", "Site manager Rotterdam", "Q1 2026", "Cross-dock claims -25%"],
                ["Duisburg migration from LagerPro to StockPilot (phase 1)", "IT / Duisburg", "Q4 2026 - Q2 2027", "Accuracy 99%"],
                ["Document planning rules of senior planners", "Planning manager", "Q3 2026", "Rules documented"],
            ], [66, 34, 30, 40], "Table 9 - Operations improvement plan 2026"),
            P("We will pilot route optimisation on the Venlo desk from May 2026, comparing optimised tours with manually "
              "built tours on the same days before any wider rollout. The works council will be informed before the "
              "pilot starts, because the tool may change planners' work."),
            P("Targets for 2026: on-time delivery at least 93%, damage claims below 2.8 per 100 consignments, empty "
              "kilometres below 17.5% and 115 picks per labour hour."),
            P("Thomas Brandt, COO"),
        ],
    ]


OPS_REVIEW = {
    "filename": "operations-review-2025.pdf",
    "title": "Northwind Logistics - Operations Review 2025",
    "author": "Thomas Brandt, COO",
    "footer": "Northwind Logistics - Operations Review 2025 - internal",
    "pages": _ops_review_pages,
}


# ============================================================== customer-service audit

# Annual contact reasons (shares of 96,400 tickets) and average handling time in minutes.
CONTACT_REASONS = [
    ("Delivery appointment", 16, 8.2, "Partly (self-service booking)"),
    ("Where is my shipment (WISMO)", 14, 9.4, "Yes (live tracking, proactive alerts)"),
    ("Invoice query", 13, 11.3, "Partly (clearer surcharges)"),
    ("POD request", 12, 7.1, "Yes (POD self-service)"),
    ("Damage claim", 11, 14.6, "No (but intake can be automated)"),
    ("Pickup booking", 11, 6.5, "Partly (portal booking)"),
    ("Address or delivery change", 8, 7.9, "Partly"),
    ("Rate or quote request", 6, 10.2, "No"),
    ("Complaint", 5, 16.8, "No"),
    ("Customs and documents", 4, 12.4, "Partly"),
]
TICKETS = 96_400


def _cs_audit_pages() -> list[list[tuple]]:
    reasons = [[r, f"{s}%", n(TICKETS * s / 100), f"{aht}", avoid] for r, s, aht, avoid in CONTACT_REASONS]
    return [
        # ---- page 1
        [
            ("cover", "Customer Service Audit", "Northwind Logistics B.V.", [
                "Final report - 12 December 2025",
                "Meridian Service Advisory - Joost Hermans, Claire Dubois",
            ]),
            H("Scope and method"),
            P("Northwind asked Meridian to assess the performance, processes and systems of its customer service "
              "department in Tilburg and Duisburg, and to recommend improvements for the 2026 budget. The audit ran from "
              "6 October to 28 November 2025."),
            B("Analysis of all 96,400 Zendesk tickets created in 2025 (December extrapolated from November).",
              "Detailed review of a random sample of 600 tickets, including the full email threads.",
              "Listening to 18 hours of recorded calls and two days of side-by-side observation in each office.",
              "Interviews with 12 agents, 3 team leaders, the head of customer service and the planning and IT managers.",
              "A survey of 214 customer contacts (response rate 31%)."),
            P("The department has 38 employees (34 FTE): 28 in Tilburg serving Dutch, Belgian and English-speaking "
              "customers, and 10 in Duisburg serving German customers. It is led by Sanne Kuipers, head of customer "
              "service since 2022."),
        ],
        # ---- page 2
        [
            ("title", "1. Contact volumes and channels"),
            P("Ticket volume grew 8.4% to an estimated 96,400 in 2025, faster than the 3.6% growth in consignments. "
              "Per 100 consignments, customers contacted Northwind 23.4 times, against 22.3 times in 2024."),
            T(["Channel", "Share", "Tickets 2025", "Median first response", "Comment"], [
                ["Email", "52%", "50,128", "5.2 working hours", "Shared inbox per language"],
                ["Phone", "31%", "29,884", "2 min 40 s wait", "Abandonment 11.8%"],
                ["Web form (portal)", "12%", "11,568", "6.1 working hours", "Free-text form"],
                ["Other (EDI errors, WhatsApp)", "5%", "4,820", "n/a", "Unofficial WhatsApp use by drivers"],
                ["Total", "100%", "96,400", "", ""],
            ], [42, 16, 26, 38, 48], "Table 1 - Tickets by channel, 2025"),
            P("The phone line had a phone abandonment rate of 11.8% over the year and more than 20% on Mondays and in "
              "the November peak. Callers who hang up usually send an email as well, which creates duplicate tickets: "
              "in our sample, 9% of tickets were duplicates of an open request."),
            P("Volumes peak between 08:00 and 10:30, when customers and receivers check whether the morning's deliveries "
              "are on their way, and again after 15:00, when pickup requests for the next day arrive. Staffing is flat "
              "across the day."),
            P("Customer satisfaction after a closed ticket averaged 7.1 out of 10. Customers praise friendly and "
              "knowledgeable agents, and criticise slow answers to simple questions and the lack of live information."),
        ],
        # ---- page 3
        [
            ("title", "2. Why customers contact Northwind"),
            P("Agents tag each ticket with one contact reason. We checked the tags in the 600-ticket sample and corrected "
              "them where needed; the corrected shares are shown below."),
            T(["Contact reason", "Share", "Tickets", "Avg handling (min)", "Avoidable?"], reasons,
              [50, 16, 22, 30, 52], "Table 2 - Contact reasons, 2025 (corrected sample shares applied to all tickets)"),
            P("Where-is-my-shipment (WISMO) enquiries make up 14% of all tickets, about 13,500 a year. They are almost "
              "entirely avoidable: in 82% of the WISMO tickets we reviewed, the shipment was on schedule or the delay was "
              "already known to the planner, but the customer portal showed an outdated status."),
            P("Together with POD requests (12%), delivery appointment changes and simple pickup bookings, about 41% of "
              "all contacts could be avoided or handled by self-service if customers had accurate, timely information. "
              "Damage claims, complaints and quotes will continue to need people, but parts of the work around them "
              "(intake, classification, drafting) can be supported by tools."),
            P("Average handling time across all tickets was 9.9 minutes, excluding waiting time for answers from "
              "operations."),
        ],
        # ---- page 4
        [
            ("title", "3. Handling process"),
            P("To answer a typical WISMO question, agents switch between four systems: Zendesk for the ticket, RoadBase "
              "TMS for the consignment and trip, the MyNorthwind portal to see what the customer sees, and Webfleet to "
              "find the truck. If the consignment is on a subcontractor's truck, the agent calls or emails the planner, "
              "who calls the subcontractor. In our observation, 38% of WISMO tickets needed such a call-back."),
            T(["Process step (WISMO, phone)", "Average time"], [
                ["Identify customer and consignment (often from a customer reference, not our number)", "1.6 min"],
                ["Look up consignment and trip in RoadBase TMS", "1.9 min"],
                ["Find truck position in Webfleet and estimate arrival", "2.2 min"],
                ["Answer customer, log outcome in Zendesk", "2.1 min"],
                ["Follow-up when the truck is subcontracted (38% of cases)", "1.6 min (average over all)"],
                ["Total", "9.4 min"],
            ], [120, 40], "Table 3 - Handling steps for a WISMO call"),
            P("POD requests are handled by searching DocuStore by delivery date and truck number and opening images one "
              "by one until the right CMR is found. Agents then attach the image to an email by hand."),
            P("Damage claims arrive by email in any format. Agents copy the details into Zendesk, ask for photos and "
              "forward the claim to the site; they have no view of the claim's progress afterwards. Customers chase "
              "open claims, adding on average 2.3 extra contacts per claim."),
            P("First-contact resolution was 68%, down from 71% in 2024. Email answers are written from scratch or from "
              "212 Zendesk macros, about 40% of which are outdated. Agents write in Dutch, German, English and French."),
        ],
        # ---- page 5
        [
            ("title", "4. Systems, knowledge and people"),
            H("Systems"),
            P("Zendesk is not integrated with RoadBase TMS or Salesforce: agents cannot see a customer's open "
              "consignments, contract terms or account manager from the ticket. The MyNorthwind portal receives status "
              "updates from the TMS in a batch every 4 hours, so a delivery made at 09:00 may show as 'in transit' until "
              "13:00. Telematics positions are not used in the portal at all."),
            P("Customer service data is loaded into Snowflake daily and a Power BI dashboard shows volumes per reason and "
              "team. The dashboard is used by team leaders, but contact reasons are not linked to consignments, so the "
              "operational cause of contacts (for example a late linehaul) cannot be analysed."),
            H("Knowledge"),
            P("There is no knowledge base. Rules for customers with special agreements (time windows, tail-lift, "
              "pre-advice calls) are kept in a shared Excel file with 1,900 rows and in agents' personal notes. New "
              "agents need 11 weeks to become fully proficient, mainly to learn these exceptions."),
            H("People"),
            P("Agent turnover was 24% in 2025. Agents enjoy solving real problems for customers but describe status "
              "questions as repetitive. Sickness absence was 7.9%. Team leaders spend about a third of their time "
              "answering questions from colleagues about special customer agreements."),
            P("The Copilot pilot, started in October with 12 customer service users, is used mainly to summarise long "
              "email threads and to translate. Agents may not paste customer personal data into any tool outside the "
              "Microsoft tenant under the company's data policy."),
        ],
        # ---- page 6
        [
            ("title", "5. Recommendations"),
            P("We recommend a programme in three horizons. Together, the measures could remove 22,000 contacts a year "
              "(about 23% of volume) and reduce handling time on the remaining contacts by 15%, freeing around 7 FTE for "
              "proactive work such as exception management and account care."),
            T(["Recommendation", "Effect", "Effort", "Horizon"], [
                ["Live status and ETA in the portal and in notifications (link Webfleet and TMS)", "High", "Medium", "6-9 months"],
                ["Proactive delay alerts by email/SMS when a consignment is at risk", "High", "Medium", "6-9 months"],
                ["POD self-service: index POD images by consignment number", "High", "Low", "3 months"],
                ["Zendesk-TMS integration: show consignments in the ticket", "Medium", "Medium", "6 months"],
                ["AI-assisted email triage, tagging and answer drafting (within the Microsoft tenant)", "Medium", "Medium", "6-12 months"],
                ["Structured claims intake form with photo upload and claim status", "Medium", "Low", "3-6 months"],
                ["Knowledge base of customer agreements, replacing the Excel file", "Medium", "Low", "3 months"],
                ["Callback option and staffing aligned to the morning peak", "Low", "Low", "1 month"],
            ], [92, 20, 22, 26], "Table 4 - Recommendations"),
            P("AI-assisted email handling must respect the GDPR: tickets contain names, addresses and phone numbers of "
              "receivers. We advise a data protection impact assessment before any pilot, processing within the EU, and "
              "keeping an agent in the loop for every outgoing answer."),
            P("Quick wins for January: publish POD images for EDI customers, add a callback option, and review the 212 "
              "macros. Meridian remains available to support the business case for the 2026 budget."),
        ],
    ]


CS_AUDIT = {
    "filename": "customer-service-audit-2025.pdf",
    "title": "Customer Service Audit - Northwind Logistics",
    "author": "Meridian Service Advisory",
    "footer": "Meridian Service Advisory - Customer Service Audit Northwind Logistics - confidential",
    "pages": _cs_audit_pages,
}

REPORTS = [ANNUAL_REPORT, OPS_REVIEW, CS_AUDIT]

# Distinctive facts on specific pages: (verbatim text, file, page, where).
FACTS = [
    ("founded in 1987 by Jan Verhoeven with three trucks", "annual-report-2025.pdf", 2, "Northwind at a glance"),
    ("The Dutch truck charge that starts on 1 July 2026", "annual-report-2025.pdf", 3, "Letter from the CEO"),
    ("three-year contract with Hollander Home & Garden", "annual-report-2025.pdf", 4, "2025 highlights"),
    ("on-time delivery rate of 91.4% in 2025", "annual-report-2025.pdf", 5, "Operational performance"),
    ("13,203 damage claims in the year", "annual-report-2025.pdf", 5, "Operational performance"),
    ("74 regular subcontractors carried the rest of the linehaul", "annual-report-2025.pdf", 6, "Road freight"),
    ("acquired in 2021 together with Rhein-Ruhr Lager GmbH", "annual-report-2025.pdf", 7, "Contract warehousing"),
    ("23 open driver vacancies", "annual-report-2025.pdf", 8, "People and organisation"),
    ("1.9 MWp solar installation on the Tilburg roof", "annual-report-2025.pdf", 9, "Sustainability"),
    ("IT spending was EUR 3.9 million, or 2.6% of revenue", "annual-report-2025.pdf", 10, "Technology and data"),
    ("the ten largest customers accounted for 41% of revenue", "annual-report-2025.pdf", 11, "Risk management"),
    ("Accounts payable employs 9 FTE who match subcontractor invoices by hand", "annual-report-2025.pdf", 12, "Financial review"),
    ("net debt of EUR 21.5 million, 1.5 times EBITDA", "annual-report-2025.pdf", 13, "Balance sheet and cash flow"),
    ("78% of our contracts contain a toll pass-through clause", "annual-report-2025.pdf", 14, "Outlook 2026"),
    ("Q4 on-time performance dropped to 90.5%", "operations-review-2025.pdf", 1, "Executive summary"),
    ("1,650 consignments per working day", "operations-review-2025.pdf", 2, "1. Network and volumes"),
    ("Germany (other) remains the weakest lane at 85.2%", "operations-review-2025.pdf", 3, "2. Service quality"),
    ("Venlo averaged 104 picks per labour hour", "operations-review-2025.pdf", 4, "3. Warehouse productivity"),
    ("Cross-dock handling in Rotterdam caused 3,565 claims", "operations-review-2025.pdf", 5, "4. Claims and damage"),
    ("11 route planners build next-day tours in Excel workbooks", "operations-review-2025.pdf", 6, "5. Transport planning"),
    ("forecast error (MAPE) of 17% at Venlo", "operations-review-2025.pdf", 7, "6. Labour planning and forecasting"),
    ("3,570 of the 48,900 active SKUs (7.3%)", "operations-review-2025.pdf", 8, "7. Data and systems issues"),
    ("pilot route optimisation on the Venlo desk from May 2026", "operations-review-2025.pdf", 9, "8. Improvement plan 2026"),
    ("18 hours of recorded calls", "customer-service-audit-2025.pdf", 1, "Scope and method"),
    ("phone abandonment rate of 11.8%", "customer-service-audit-2025.pdf", 2, "1. Contact volumes and channels"),
    ("(WISMO) enquiries make up 14% of all tickets", "customer-service-audit-2025.pdf", 3, "2. Why customers contact Northwind"),
    ("agents switch between four systems", "customer-service-audit-2025.pdf", 4, "3. Handling process"),
    ("New agents need 11 weeks to become fully proficient", "customer-service-audit-2025.pdf", 5, "4. Systems, knowledge and people"),
    ("could remove 22,000 contacts a year", "customer-service-audit-2025.pdf", 6, "5. Recommendations"),
]
