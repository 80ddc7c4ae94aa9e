"""Text-format documents of the Northwind Logistics sample: the IT landscape (Markdown)
and the intranet policy on data and AI (HTML). Written out verbatim by make_sample.py."""

from __future__ import annotations

IT_LANDSCAPE_FILENAME = "it-landscape.md"

IT_LANDSCAPE_MD = """\
# Northwind Logistics - IT and data landscape

*Owner: Ravi Menon, Head of IT & Data. Version 3.1, 9 January 2026. Internal - prepared as input for the AI readiness assessment.*

## 1. Summary

Northwind runs a mix of on-premise operational systems (transport, warehouse, integration) and cloud systems
(finance, CRM, service desk, data warehouse). The IT & Data team has 14 people: the head of IT, 4 infrastructure and
workplace engineers, 3 application managers, 2 data engineers, 1 BI analyst, 1 security officer, 1 integration
developer and 1 service-desk lead. Development of RoadBase TMS and StockPilot WMS is done by the vendors. The total IT
budget for 2025 was EUR 3.9 million (operating costs), plus EUR 1.4 million capital expenditure.

The main weaknesses are the lack of real-time integration, a single ageing integration platform, an isolated
warehouse system in Duisburg and data quality problems in master data. The main strength is a working Snowflake data
warehouse with two years of clean history for most domains.

## 2. Application landscape

| Domain | System | Hosting | Users | Since | Notes |
|---|---|---|---|---|---|
| Transport management | RoadBase TMS 7.4 (Kratos Logistics Software) | On-premise, SQL Server 2016, Tilburg data room | 65 | 2011 | Orders, trips, rating, customer invoicing. No route optimisation module licensed. Upgrade to version 8 needed for the optimisation add-on. |
| Warehouse management | StockPilot WMS 5.2 | Vendor-hosted private cloud (NL) | 210 incl. handhelds | 2016 | Tilburg, Venlo, Rotterdam. RF scanning, pick-to-light in Tilburg zone C. |
| Warehouse management (Duisburg) | LagerPro 3 | On-premise server in Duisburg | 45 | 2014 (inherited) | From the 2021 acquisition of Rhein-Ruhr Lager GmbH. Vendor support ends December 2027. Not connected to Snowflake. |
| ERP / finance | Microsoft Dynamics 365 Finance | Microsoft cloud, EU (West Europe) | 34 | 2022 | General ledger, accounts payable and receivable, fixed assets. Carrier invoices are keyed and matched manually. |
| CRM | Salesforce Sales Cloud | Salesforce EU (Hyperforce) | 28 | 2020 | Sales pipeline, tenders and contracts (PDF attachments). Not used by customer service. |
| Customer service | Zendesk Suite Professional | Zendesk EU data centre | 41 | 2020 | Email, phone (Zendesk Talk), web form. 212 macros. Not integrated with the TMS. |
| Customer portal | MyNorthwind | Azure App Service (PHP 7.4) | ~900 customer users | 2017 | Track and trace, order entry for small customers, invoice download. Status refreshed from the TMS every 4 hours. |
| Telematics | Webfleet (Bridgestone) | SaaS, EU | 164 tractors, 61 trailer trackers | 2018 | GPS every 60 seconds, driving behaviour, tachograph download. |
| Driver app | Northwind Driver (Android) | In-house, built by a supplier | 238 drivers | 2020 | Manifest, scan at pickup and delivery, POD photo. |
| Document storage | DocuStore (Windows file share + indexer) | On-premise | all office staff | 2015 | About 1.1 million POD images a year, named by date and truck number. |
| Integration / EDI | Microsoft BizTalk Server 2016 | On-premise | - | 2016 | EDIFACT IFTMIN, IFTSTA, DESADV, INVOIC with 140 customers; 38 file-based interfaces. |
| Data warehouse | Snowflake (Enterprise edition) | AWS eu-central-1 (Frankfurt) | 55 report users | 2023 | dbt Core for transformations, Fivetran for SaaS sources, Power BI for reports. |
| Office and identity | Microsoft 365 E3, Entra ID | Microsoft cloud, EU | 390 accounts | 2019 | Copilot pilot with 40 licences since October 2025. |

## 3. Integration

All system-to-system traffic goes through BizTalk Server 2016 or through scheduled file transfers:

- **EDI with customers**: 140 customers send orders (IFTMIN) and receive status messages (IFTSTA) through BizTalk.
  About 2% of messages fail each month; failures are visible only in the BizTalk console, which one integration
  developer monitors. Failed orders sometimes reach planning only when the customer calls.
- **TMS to portal**: a batch job every 4 hours copies consignment statuses from RoadBase to MyNorthwind.
- **TMS to Snowflake**: a nightly CSV export at 02:00 of orders, trips and statuses, loaded by a Python script.
- **Webfleet to TMS**: trip start and stop events in a nightly file. Live positions are not used by any Northwind system.
- **WMS to TMS**: StockPilot sends dispatch confirmations to RoadBase every 15 minutes.
- **Dynamics 365, Salesforce, Zendesk to Snowflake**: Fivetran, daily.

BizTalk Server 2016 left Microsoft mainstream support in January 2022 and extended support ends in January 2027.
The replacement (Azure Integration Services: Logic Apps, Service Bus and API Management) is approved for 2026 with a
budget of EUR 0.9 million. This is the prerequisite for real-time status events from the TMS and for an API for
customers.

## 4. Data platform

- Snowflake account in AWS eu-central-1 (Frankfurt), Enterprise edition, about EUR 96,000 a year in credits.
- Layers: raw (as loaded), staging (dbt models, cleaned), marts (finance, transport, warehouse, service).
- History: transport and service from January 2023, warehouse (Tilburg, Venlo, Rotterdam) from March 2023, finance from 2022.
- 46 Power BI reports, 55 users. The most used are the weekly service dashboard and the site productivity report.
- Data engineering is two people; there is no data science role. A forecasting prototype (Python, Prophet) was built by
  the BI analyst in 2025 and runs on a laptop.
- There is no data catalogue. Definitions of KPIs (for example on-time delivery) are documented in a Confluence page
  that is partly out of date.

## 5. Data quality issues

| Data | System | Issue | Size |
|---|---|---|---|
| SKU master data | StockPilot WMS | Missing dimensions or weight | 3,570 of 48,900 active SKUs (7.3%) |
| Inventory locations | LagerPro 3 (Duisburg) | Location accuracy | 92.4% (network target 99.5%) |
| Delivery addresses | RoadBase TMS | Duplicates and outdated addresses; free-text time windows | about 11% of 64,000 addresses |
| Customer time windows | RoadBase TMS | Entered as free text in the remarks field, not structured | about 8,500 records |
| POD images | DocuStore | Not linked to consignment numbers | 1.1 million images a year |
| Damage claims | Zendesk, email | Cause recorded as free text; photos outside the systems (WhatsApp) | 13,203 claims in 2025 |
| Contact reasons | Zendesk | Tags chosen by agents; about 12% wrongly tagged in the Meridian sample | 96,400 tickets |
| Customer master | Salesforce vs RoadBase vs Dynamics | No common customer ID; matched by name in Snowflake | 1,140 active customers, 7% unmatched |
| Subcontracted trips | RoadBase TMS | No positions, arrival times keyed by planners afterwards | 38% of linehaul km |

## 6. Security and compliance constraints

- **ISO 27001** certified since May 2024 (scope: all sites and IT). **TISAX** level 2 label for Duisburg (automotive
  customers), renewed June 2025.
- **NIS2**: Northwind expects to be an *important entity* under the Dutch Cyberbeveiligingswet; readiness project in 2026.
- **GDPR**: Northwind processes personal data of receivers (names, addresses, phone numbers, signatures on PODs), of
  customers' contact persons and of employees (including telematics data of drivers). The DPO is Eva Lindqvist.
- **Data residency**: all personal data must be stored and processed in the EU/EEA. US-based services are allowed only
  with EU data residency and the EU-US Data Privacy Framework or standard contractual clauses in place.
- **Works council**: telematics data may be used for fleet management and customer ETAs, but not to evaluate or rank
  individual drivers (agreement of 14 March 2023). New tools that monitor employees need works council consent
  (Article 27 of the Dutch Works Councils Act).
- **Generative AI**: only approved tools inside the Microsoft tenant (currently Microsoft 365 Copilot) may be used with
  internal or confidential data; see the intranet policy on data and AI, version 1.2.
- **Access**: multi-factor authentication for all accounts; privileged access via a separate admin account; vendor
  remote access to RoadBase and LagerPro through a jump host with session recording.
- **Customer contracts**: 23 customers (mainly automotive and pharma-adjacent) have contractual clauses that forbid
  sharing their shipment data with third parties without consent, including cloud AI services.

## 7. Roadmap 2026-2027

| Quarter | Project |
|---|---|
| Q1-Q4 2026 | BizTalk replacement by Azure Integration Services; first real-time status events from RoadBase |
| Q2 2026 | POD images indexed by consignment number (driver app change and DocuStore re-index) |
| Q3 2026 | Live ETA from Webfleet in the portal and notifications |
| Q4 2026 - Q2 2027 | Duisburg migration from LagerPro 3 to StockPilot WMS |
| 2026 | NIS2 readiness; data catalogue and KPI definitions in Snowflake |
| 2027 | Decision on RoadBase version 8 or a new TMS |
"""

POLICY_FILENAME = "intranet-data-and-ai-policy.html"

POLICY_HTML = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Policy on data use and generative AI - Northwind intranet</title>
<meta name="author" content="Eva Lindqvist, Data Protection Officer">
<style>
body { font-family: Segoe UI, Arial, sans-serif; max-width: 54em; margin: 2em auto; color: #222; }
nav { font-size: 0.85em; color: #666; }
table { border-collapse: collapse; }
td, th { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
.meta { color: #666; font-size: 0.9em; }
</style>
</head>
<body>
<nav>Northwind intranet &gt; Policies &gt; IT and data &gt; Data use and generative AI</nav>
<main>
<h1>Policy on data use and generative AI</h1>
<p class="meta">Version 1.2 - effective 3 September 2025 - owner: Eva Lindqvist, Data Protection Officer -
approved by the Management Board on 26 August 2025 - next review: September 2026</p>

<h2>1. Why this policy</h2>
<p>Generative AI tools such as chat assistants can save time, but everything you type into them may leave our
company. We handle personal data of receivers, customers and colleagues, and confidential shipment data of our
customers. This policy says what you may and may not do. It applies to all employees, temporary staff and contractors.</p>

<h2>2. Data classification</h2>
<table>
<tr><th>Class</th><th>Examples</th><th>Generative AI</th></tr>
<tr><td>Public</td><td>Website texts, published annual report</td><td>Any tool</td></tr>
<tr><td>Internal</td><td>Procedures, planning rules, internal reports without personal data</td><td>Approved tools only</td></tr>
<tr><td>Confidential</td><td>Customer contracts and rates, shipment data, tickets, invoices, personal data</td><td>Approved tools only, and only for the purpose of your work</td></tr>
<tr><td>Strictly confidential</td><td>Salary data, medical data, security configurations, data under customer non-disclosure clauses</td><td>Not allowed without written approval of the DPO and the Head of IT</td></tr>
</table>

<h2>3. Approved tools</h2>
<ul>
<li>Microsoft 365 Copilot, for the 40 users in the pilot that started in October 2025. Data stays within our Microsoft tenant in the EU.</li>
<li>Translation with the built-in functions of Microsoft 365.</li>
</ul>
<p>Public tools such as the free versions of ChatGPT, Gemini or DeepL may be used only with public data. Never paste
customer names, receiver addresses, phone numbers, consignment data, rates or colleagues' data into a public tool.</p>

<h2>4. Rules for new AI applications</h2>
<ol>
<li>Every new application of AI or analytics that uses personal data needs a data protection impact assessment (DPIA) before the pilot starts.</li>
<li>Personal data is stored and processed only in the EU/EEA.</li>
<li>A person stays responsible for every decision about a customer, a receiver or an employee. AI may propose; people decide.</li>
<li>Telematics and other data may not be used to evaluate or rank individual drivers, in line with the works council agreement of 14 March 2023.</li>
<li>Tools that can be used to monitor employees need the consent of the works council before use.</li>
<li>Data of the 23 customers with data-sharing restrictions in their contracts may be used with an external AI service only after the account manager has obtained written consent.</li>
<li>Every AI application is registered with the AI steering group (CEO, COO, Head of IT &amp; Data, DPO), which meets monthly.</li>
</ol>

<h2>5. Incidents</h2>
<p>If you have entered data in a tool where it should not be, report it within 24 hours to privacy@northwind-logistics.example.
Personal data breaches must be reported to the Dutch Data Protection Authority within 72 hours, so every hour counts.</p>

<h2>6. Questions</h2>
<p>Contact the DPO, Eva Lindqvist, or the Head of IT &amp; Data, Ravi Menon. Frequently asked questions are on the
intranet page <em>AI at Northwind</em>.</p>
</main>
<footer class="meta">Northwind Logistics B.V. - intranet - page last updated 3 September 2025</footer>
</body>
</html>
"""

FACTS = [
    ("extended support ends in January 2027", IT_LANDSCAPE_FILENAME, None, "section 3. Integration"),
    ("a nightly CSV export at 02:00 of orders, trips and statuses", IT_LANDSCAPE_FILENAME, None, "section 3. Integration"),
    ("Snowflake account in AWS eu-central-1 (Frankfurt)", IT_LANDSCAPE_FILENAME, None, "section 4. Data platform"),
    ("about 11% of 64,000 addresses", IT_LANDSCAPE_FILENAME, None, "section 5. Data quality issues"),
    ("23 customers (mainly automotive and pharma-adjacent)", IT_LANDSCAPE_FILENAME, None, "section 6. Security and compliance"),
    ("needs a data protection impact assessment (DPIA) before the pilot starts", POLICY_FILENAME, None, "section 4. Rules for new AI applications"),
    ("AI steering group (CEO, COO, Head of IT & Data, DPO)", POLICY_FILENAME, None, "section 4. Rules for new AI applications"),
]
