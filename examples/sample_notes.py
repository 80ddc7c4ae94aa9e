"""Text of the Word documents and the board deck of the Northwind Logistics sample.

Word blocks (rendered by make_sample.py):
  ("title", text)  ("meta", text)  ("h", text)  ("p", text)  ("q", question)  ("a", answer)
  ("bullets", [text, ...])  ("table", header, rows)
"""

from __future__ import annotations

# ============================================================== interview: COO

INTERVIEW_COO = {
    "filename": "interview-coo-thomas-brandt.docx",
    "title": "AI readiness assessment - interview notes: Thomas Brandt (COO)",
    "author": "Nadia El Amrani",
    "blocks": [
        ("title", "AI readiness assessment - interview notes"),
        ("meta", "Interviewee: Thomas Brandt, Chief Operating Officer (at Northwind since 2016)"),
        ("meta", "Interviewer: Nadia El Amrani, Strategy & Transformation Office"),
        ("meta", "Date and place: 13 January 2026, Tilburg head office, 90 minutes"),
        ("meta", "Status: notes reviewed by the interviewee on 16 January 2026. Internal."),
        ("h", "1. Role and priorities"),
        ("q", "What are you responsible for, and what keeps you up at night?"),
        ("a", "Everything that moves: the three planning desks, the four warehouses, the fleet and maintenance, and QHSE. "
              "About 500 of our 612 people work in my area. What keeps me up is reliability. We promised customers 95% on "
              "time and we delivered 91.4%. In the November peak we were at 89.8% for the month. Customers do not leave "
              "over one bad week, but they do leave when they stop trusting our information."),
        ("q", "If you could fix one thing in 2026, what would it be?"),
        ("a", "Planning. Both transport planning and labour planning are craftsmanship today. It works on a normal "
              "Tuesday, and it falls apart when volumes jump or when one of the senior planners is on holiday."),
        ("h", "2. Transport planning"),
        ("q", "How are the next day's tours built today?"),
        ("a", "At 13:30 the planners export the orders from RoadBase into Excel. Each desk has its own workbook with "
              "macros that someone wrote in 2014. They sort by postcode, look at time windows, and drag orders onto "
              "trucks. Subcontractors get the leftovers and the long runs into Germany. Then they type the tours back "
              "into RoadBase, which takes another hour, and the drivers get their manifests by 19:00. If a big order "
              "comes in at 17:00, they redo half the plan."),
        ("q", "Who are the key people?"),
        ("a", "Henk van der Linden and Ria Smulders on the Tilburg Netherlands desk. Henk has been planning for 31 years. "
              "Their tours are consistently about 9% shorter than the others. They know that a receiver in Breda has been "
              "closed on Wednesday afternoons since 2023, that you never send a 13.6-metre trailer into the centre of "
              "Maastricht, which customers always load late. None of that is in the system. Both retire in 2027, and "
              "frankly that is my biggest single operational risk."),
        ("q", "Have you looked at route optimisation software?"),
        ("a", "Twice. In 2019 we did a demo and the planners hated it, because it ignored half of their constraints. In "
              "2024 RoadBase offered an optimisation module, but it costs a lot and only works with the next major "
              "version, which we have not budgeted. I would now rather start with a pilot on one desk, Venlo, where the "
              "work is more regular, and compare against the planners. The planners have to be part of it; the works "
              "council will ask about that as well."),
        ("q", "And during the day, when things go wrong?"),
        ("a", "We see the trucks in Webfleet, but the planners only look when someone calls. There is no alert when a "
              "truck is going to miss a time window. The first signal is usually the customer phoning customer service, "
              "and customer service phoning us. For subcontractors we see nothing at all."),
        ("h", "3. Warehouses and labour"),
        ("q", "How do you plan warehouse labour?"),
        ("a", "Every Thursday the shift leaders fill in a workbook with the expected volumes for next week per customer. "
              "Some customers send forecasts, most do not. The leaders look at last year and at their emails, and then "
              "book agency staff. In Venlo we were 17% off on average per week. In November that meant 60 agency workers "
              "booked for a Monday when we needed 85, and the following week the opposite. We spent EUR 6.2 million on "
              "agency labour last year, and I am sure a million of that was waste or premium for late booking."),
        ("q", "Is the data there to forecast better?"),
        ("a", "For three sites yes: two years of order lines per customer per day sit in Snowflake. Duisburg runs "
              "LagerPro and is not connected, so Duisburg is an island. Our BI analyst, Joris, built a forecast prototype "
              "in Python last autumn that was much better than the shift leaders for Tilburg, but nobody had time to "
              "take it further and it runs on his laptop."),
        ("q", "What about data quality in the WMS?"),
        ("a", "Poor in places. Over 3,500 SKUs have no dimensions or weight, so the system cannot tell how many fit on "
              "a pallet, and our truck capacity calculation is wrong. Duisburg's inventory accuracy was 92.4%, which means "
              "pickers search for stock every shift. Slotting in Venlo is done once a year in Excel."),
        ("h", "4. Claims and damage"),
        ("q", "Damage claims went up to 3.2 per 100 consignments. Why?"),
        ("a", "Two things: loading on our own trucks, especially with new drivers and agency loaders, and the "
              "cross-dock in Rotterdam. But honestly we do not know precisely, because causes are typed as free text by "
              "the site managers, and photos go around on WhatsApp. The drivers take good pictures, but they are not "
              "attached to the consignment. I would love to see damage patterns per customer, per loader, per lane."),
        ("h", "5. Finance and administration, from an operations view"),
        ("q", "Where does operations create work for other departments?"),
        ("a", "Subcontractor invoices. Anouk's team in finance has nine people matching carrier invoices against our "
              "orders and PODs by hand. A fifth of those invoices do not match: waiting time, extra stops, fuel "
              "surcharge. Half of the time the answer is in the driver's notes or the telematics data, but finance "
              "cannot see either, so they email my planners. My planners spend maybe an hour a day on that."),
        ("q", "And proof of delivery?"),
        ("a", "1.1 million POD photos a year, stored by date and truck. Not by consignment. Customer service and finance "
              "look for PODs all day long. It is a small fix with a big effect."),
        ("h", "6. AI and data"),
        ("q", "Where do you see AI helping operations, and where not?"),
        ("a", "Forecasting volumes and labour, first. Then decision support for planners: suggest tours, warn about "
              "trucks at risk of being late. I also like the idea of reading damage photos and classifying causes. What "
              "I do not want is a black box that tells a 31-year planner what to do without explaining why. And nothing "
              "that scores individual drivers: we agreed that with the works council in 2023, and I stand by it."),
        ("q", "What would make a project fail here?"),
        ("a", "Not having the data in real time, and not having the people. IT is 14 people and busy with the BizTalk "
              "replacement and Duisburg. If we start AI projects, we need a partner and clear ownership in the business. "
              "And we need to start small and show results within a season, not after two years."),
        ("h", "7. Pain points named by the COO"),
        ("table", ["Pain point", "Where", "Estimated impact (COO)", "Data available"], [
            ["Tours built by hand in Excel, dependent on two senior planners", "Planning desks", "Empty km 18.7%; risk from 2027", "TMS orders, Webfleet, time windows (partly outdated)"],
            ["Weekly labour forecast by hand", "Warehouses, esp. Venlo", "About EUR 1 million agency waste and premiums", "2 years of order lines in Snowflake (not Duisburg)"],
            ["No alert when a truck will miss its slot", "Planning, customer service", "Late deliveries found out by customers", "Webfleet positions every 60 s, not linked"],
            ["Damage causes and photos not structured", "Sites, QHSE", "3.2 claims per 100 consignments", "Free text, WhatsApp photos"],
            ["Carrier invoice discrepancies", "Finance, planning", "9 FTE in finance plus 1 hour a day per desk", "TMS trips, PODs, telematics"],
            ["SKU master data gaps", "Warehouses", "Wrong capacity, re-measuring", "StockPilot master data"],
        ]),
        ("p", "Follow-up agreed: Nadia to meet Joris (BI) about the forecast prototype and to join the Venlo planning desk "
              "for one afternoon; Thomas to share the 2026 improvement plan from the operations review."),
    ],
}


# ============================================================== interview: head of customer service

INTERVIEW_CS = {
    "filename": "interview-head-of-customer-service-sanne-kuipers.docx",
    "title": "AI readiness assessment - interview notes: Sanne Kuipers (Head of Customer Service)",
    "author": "Nadia El Amrani",
    "blocks": [
        ("title", "AI readiness assessment - interview notes"),
        ("meta", "Interviewee: Sanne Kuipers, Head of Customer Service (since 2022)"),
        ("meta", "Interviewer: Nadia El Amrani, Strategy & Transformation Office"),
        ("meta", "Date and place: 15 January 2026, Tilburg customer service floor, 75 minutes"),
        ("meta", "Status: notes reviewed by the interviewee on 19 January 2026. Internal."),
        ("h", "1. The team"),
        ("q", "How is customer service organised?"),
        ("a", "We are 38 people, 34 FTE: 28 in Tilburg and 10 in Duisburg for the German customers. Three team leaders. "
              "Each agent has a group of customers, but in practice whoever is free picks up the phone. We work in Dutch, "
              "German, English and some French for Wallonia and Luxembourg. Last year we handled about 96,400 tickets "
              "and I lost nine people, which is 24% turnover."),
        ("q", "Why do people leave?"),
        ("a", "The work is repetitive and frustrating. An agent spends the morning telling people where their pallets are. "
              "They have to look in four systems to answer that, and often they still have to call planning. The good "
              "ones get bored and move to planning or sales, or to a competitor."),
        ("h", "2. What customers ask"),
        ("q", "What are the main contact reasons?"),
        ("a", "Delivery appointments are the biggest group, then where-is-my-shipment, invoice questions, POD requests and "
              "damage claims. WISMO is 14% of everything we get, and on Monday mornings it feels like half. The frustrating "
              "thing is that most of those shipments are fine. The portal just shows an old status, because it is "
              "updated from RoadBase every four hours."),
        ("q", "What happens in the first hours of the day?"),
        ("a", "Between eight and half past ten the phones never stop. Receivers want to know whether the truck comes "
              "before their warehouse closes, shops want to plan staff. We have the same number of people at 08:00 as at "
              "14:00, so callers wait and hang up. Then they send an email too, and we answer the same question twice."),
        ("q", "And the German customers?"),
        ("a", "Duisburg has more claims and more questions about subcontracted deliveries, because a lot of German "
              "deliveries go with partners. For those we see nothing until the partner uploads the POD, sometimes two "
              "days later."),
        ("h", "3. Tools and knowledge"),
        ("q", "Walk me through the systems an agent uses."),
        ("a", "Zendesk for the ticket. RoadBase for the consignment. The MyNorthwind portal to see what the customer "
              "sees. Webfleet to find the truck. DocuStore for PODs. And the Excel file with customer agreements; we call "
              "it the Bible. It has about 1,900 rows: which customer wants a call before delivery, who needs a tail-lift, "
              "who gets a credit after a missed slot. Only the team leaders really know it, and they spend a third of "
              "their day answering questions about it."),
        ("q", "Is anything integrated?"),
        ("a", "No. Zendesk does not know our consignment numbers, and customers usually quote their own order number "
              "anyway, so agents first have to find our number in RoadBase. Salesforce is for sales only; we cannot see "
              "contract terms. Zendesk data does go to Snowflake every night, and we have a Power BI dashboard with "
              "volumes per reason, which is nice for management but does not help an agent."),
        ("q", "How do you handle emails?"),
        ("a", "From a shared inbox per language. We have 212 macros, but many are outdated, so people write from "
              "scratch. Median first response is over five working hours. A lot of emails are long threads where the "
              "actual question is at the bottom, and some customers send Excel lists with 40 consignment numbers asking "
              "for the status of each one. That takes an agent an hour."),
        ("q", "You are in the Copilot pilot. How is it going?"),
        ("a", "Twelve of my people have it since October. They use it to summarise long threads and to translate German "
              "and French emails. It helps. But we may not paste receivers' names and addresses into anything outside our "
              "own Microsoft environment, and Copilot cannot see RoadBase, so it cannot answer the real question: where "
              "is the shipment."),
        ("h", "4. Claims"),
        ("q", "How do damage claims run?"),
        ("a", "Badly, to be honest. Claims come in by email in every format. We ask for photos, log it, forward it to "
              "the site manager, and then we lose sight of it. The customer calls us three weeks later and we do not "
              "know the status. A claim costs us about 15 minutes on first handling and then two or three more contacts "
              "while it is open. Median settlement is almost four weeks."),
        ("h", "5. Ideas and concerns"),
        ("q", "What would help most?"),
        ("a", "Live status and arrival times that are actually right, in the portal and in a text message to the "
              "receiver. That alone would remove most of the WISMO calls. Second, PODs that customers can download "
              "themselves. Third, help with emails: sort and tag them automatically, find the consignment, and propose "
              "an answer that the agent checks. And a proper knowledge base instead of the Bible."),
        ("q", "Any concerns about AI in customer service?"),
        ("a", "Two. Privacy: our tickets are full of personal data of receivers, so it has to be done properly, with the "
              "DPO involved. And tone: our customers like that they talk to people who know them. I do not want a chatbot "
              "that sends nonsense to our biggest customers. An agent must always approve what goes out, at least at the "
              "start."),
        ("q", "How would you test an AI tool with your team?"),
        ("a", "Start with one language and one customer segment, say Dutch e-commerce customers, because their "
              "questions are the most repetitive. Let the tool propose tags and draft answers for a month while agents "
              "still write their own, and compare. My team leaders can judge quality; they read hundreds of answers a "
              "week. If the drafts are good, agents start using them with a check. I would also want to measure whether "
              "customers write back less often, not only whether we answer faster."),
        ("q", "What does success look like for you in a year?"),
        ("a", "WISMO below 5% of tickets, first-contact resolution back above 75%, and agents doing more exception work: "
              "calling a customer before the delay instead of after. And turnover under 15%."),
        ("h", "6. Figures shared by the head of customer service"),
        ("table", ["Contact reason", "Share of tickets 2025", "Avg handling (min)", "Main information needed"], [
            ["Delivery appointment", "16%", "8.2", "Time windows, tour plan"],
            ["Where is my shipment", "14%", "9.4", "Live status, truck position, ETA"],
            ["Invoice query", "13%", "11.3", "Invoice, contract rates, trip data"],
            ["POD request", "12%", "7.1", "POD image by consignment"],
            ["Damage claim", "11%", "14.6", "Photos, POD, loading data"],
            ["Pickup booking", "11%", "6.5", "Capacity, cut-off times"],
            ["Other (changes, quotes, complaints, documents)", "23%", "11.2", "Various"],
        ]),
        ("p", "Follow-up agreed: Sanne to send the Zendesk tag export for 2025 and the Bible (anonymised); Nadia to check "
              "with the DPO, Eva Lindqvist, which ticket data may be used for an AI pilot."),
    ],
}


# ============================================================== strategy memo from the CEO

STRATEGY_MEMO = {
    "filename": "ceo-strategy-memo-northwind-2028.docx",
    "title": "Northwind 2028 - our priorities for 2026 to 2028",
    "author": "Marieke Verhoeven",
    "blocks": [
        ("title", "Northwind 2028: our priorities for 2026 to 2028"),
        ("meta", "Memo from Marieke Verhoeven, CEO, to all managers - 8 December 2025"),
        ("meta", "Approved by the Supervisory Board on 16 December 2025"),
        ("p", "Dear colleagues,"),
        ("p", "Over the last three months the management team, the site managers and many of you have worked on our "
              "strategy for the next three years. This memo summarises what we decided and what it means for your teams. "
              "Please discuss it in your team meetings before the end of January."),
        ("h", "Where we stand"),
        ("p", "We are growing: revenue will close 2025 at about EUR 148 million, almost 7% up on last year. But our margin "
              "is under pressure and our service has slipped. We deliver around 91% of consignments on time while we "
              "promise 95%. Damage claims are at their highest level in ten years. Customers tell us that we are "
              "friendly and flexible, but that we are hard to follow: they do not know where their goods are, and they "
              "have to call us to find out. Three tenders were lost this year on visibility and reporting."),
        ("p", "Inside the company too much depends on manual work and on a few experienced colleagues. We plan tours and "
              "staff in spreadsheets, match thousands of invoices by hand and search for proofs of delivery in folders of "
              "images. This is not a criticism of the people who do this work - they keep the company running - but it "
              "does not scale, and it will not survive the retirement of some of our most experienced planners."),
        ("h", "Our ambition for 2028"),
        ("p", "By the end of 2028 we want to be the most reliable and most transparent regional logistics partner in the "
              "Benelux and North Rhine-Westphalia. We measure that with a few numbers:"),
        ("table", ["Goal", "2025 (expected)", "2028 target"], [
            ["On-time delivery", "91.4%", "95% or better (from 2027)"],
            ["Damage claims per 100 consignments", "3.2", "below 2.0"],
            ["EBITDA margin", "9.5%", "11.5%"],
            ["Revenue", "EUR 148.6 million", "EUR 185 million"],
            ["Customer contacts per 100 consignments", "23.4", "below 16"],
            ["Empty kilometres, own fleet", "18.7%", "15%"],
            ["CO2e per pallet moved", "28.2 kg", "23.7 kg (-20% vs 2023)"],
            ["Driver turnover", "19%", "14%"],
        ]),
        ("h", "Six priorities"),
        ("p", "1. Reliable service. Every site and every planning desk gets a weekly service review with root causes. We "
              "will fix the basics first: loading quality, cross-dock handling in Rotterdam, realistic time windows."),
        ("p", "2. Transparency for customers. Real-time track and trace, based on live truck positions, in the portal and "
              "in notifications to receivers by the third quarter of 2026. Proofs of delivery available within one hour. "
              "Emission reports per shipment on request."),
        ("p", "3. Smarter planning. Decision support for transport planners and a proper volume and labour forecast for "
              "our warehouses. We will capture the knowledge of our senior planners before they retire."),
        ("p", "4. Less administrative work. Automated matching of carrier invoices, self-service for routine customer "
              "questions, and a structured claims process. The time we free up goes to customers and exception handling."),
        ("p", "5. Modern foundations. We replace BizTalk by the end of 2026, move Duisburg onto StockPilot in 2026-2027, "
              "and make the Snowflake data warehouse the single source for reporting and analytics."),
        ("p", "6. People and sustainability. Keep and attract drivers through the Driver Academy and better rosters; "
              "grow to 30 battery-electric tractors; reach a 20% reduction in emissions per pallet."),
        ("h", "Data and AI"),
        ("p", "We have reserved EUR 1.8 million for data and AI over 2026-2028, on top of the normal IT budget. I want the "
              "first three use cases in production by the end of 2026, each with a business owner, a clear baseline and "
              "a measurable result. Candidates include volume and labour forecasting, carrier invoice matching, "
              "AI-assisted customer emails and decision support for planners. We will choose partners for the build, "
              "because our own IT team must focus on the foundations."),
        ("p", "We will use AI responsibly. That means: no customer or personal data in public AI tools; a data protection "
              "impact assessment before any use of personal data; people stay responsible for decisions that affect "
              "customers and colleagues; and no use of telematics or other data to score individual drivers, as agreed "
              "with the works council. There will be no forced redundancies as a result of automation: we will use the "
              "time we free up for growth and retrain colleagues where roles change."),
        ("h", "What 2026 means for your department"),
        ("bullets", [
            "Operations: weekly service reviews per site and desk; a route optimisation pilot on the Venlo desk from "
            "May; a statistical volume forecast for Venlo and Tilburg; damage photos and causes captured in the driver app.",
            "Customer service: live status in the portal from the third quarter; POD self-service for customers; a "
            "knowledge base that replaces the Excel file of customer agreements; a pilot of AI-assisted email handling "
            "once the DPIA is approved.",
            "Finance: a business case for automated carrier invoice matching in the first quarter, with the aim of "
            "matching half of all carrier invoices automatically by the end of 2026.",
            "IT & Data: the BizTalk replacement, the Duisburg migration, a data catalogue with agreed KPI definitions, "
            "and the selection of an implementation partner for the data and AI programme by March.",
            "Sales: visibility and emission reporting as standard elements of every tender; renegotiation of the "
            "contracts that do not yet pass on the Dutch truck charge.",
            "HR: 50 new drivers through the Driver Academy, and a 'working with data' course for 100 office and "
            "operations staff, including all shift leaders and planners.",
        ]),
        ("h", "Money"),
        ("p", "The plan requires capital expenditure of about EUR 11.5 million a year, mainly for trucks, and operating "
              "investments in IT and data. We will finance it from our own cash flow and existing bank facilities, and "
              "keep net debt below two times EBITDA. Every project above EUR 250,000 needs a business case approved by the "
              "management team."),
        ("h", "What I ask of you"),
        ("p", "Be honest about where we stand, measure what matters, and bring your ideas. Many of the best ideas in this "
              "plan came from planners, agents and drivers. The Strategy & Transformation Office, led by Nadia El Amrani, "
              "will coordinate the programme and start with an AI readiness assessment in January."),
        ("p", "Thank you for all your work in a demanding year."),
        ("p", "Marieke Verhoeven"),
    ],
}

DOCUMENTS = [INTERVIEW_COO, INTERVIEW_CS, STRATEGY_MEMO]


# ============================================================== board deck (PowerPoint)

# Each slide: title, bullets, optional table (header, rows), speaker notes.
BOARD_DECK = {
    "filename": "board-deck-2025-12.pptx",
    "title": "Supervisory Board meeting 16 December 2025",
    "author": "Northwind Management Board",
    "slides": [
        {
            "title": "Supervisory Board meeting - 16 December 2025",
            "subtitle": "2025 performance, Northwind 2028 strategy and 2026 budget\nNorthwind Logistics B.V. - Management Board",
            "notes": "Opening by Hendrik Smit, chair. Management Board present: Marieke Verhoeven, Thomas Brandt, Anouk de Wit.",
        },
        {
            "title": "Agenda",
            "bullets": ["2025 performance (estimate based on November actuals)", "Service and customers",
                        "Costs and margin", "Technology, data and AI", "Northwind 2028 strategy - for approval",
                        "2026 budget and capex - for approval", "Risks"],
        },
        {
            "title": "2025 in brief: growth, but lower margin",
            "bullets": ["Revenue expected at EUR 148.6m (+6.8%), EBITDA EUR 14.1m (9.5% margin, 2024: 9.8%)",
                        "Volume: 412,600 consignments (+3.6%), 9.62m warehouse order lines (+6.3%)",
                        "Two new Venlo contracts (Hollander Home & Garden, Kleurrijk Kids) fully running",
                        "Lost: consumer electronics warehousing contract in Tilburg (EUR 2.3m) - reason: no live customer portal",
                        "Net debt EUR 21.5m, 1.5x EBITDA"],
            "notes": "December estimated from the first two weeks; final figures in the annual report in February.",
        },
        {
            "title": "Service: behind target on every indicator",
            "table": (["Indicator", "2024", "2025", "Target"], [
                ["On-time delivery", "92.1%", "91.4%", "95%"],
                ["Damage claims per 100 consignments", "2.7", "3.2", "< 2.0 (2028)"],
                ["First-contact resolution (customer service)", "71%", "68%", "80%"],
                ["ePOD within 1 hour", "58%", "63%", "95%"],
                ["Inventory accuracy (network)", "97.0%", "96.2%", "99.5%"],
            ]),
            "notes": "November was the weakest month: 89.8% on time during the peak.",
        },
        {
            "title": "Customers contact us more and more",
            "bullets": ["96,400 customer service tickets in 2025, +8.4% (volume +3.6%)",
                        "23.4 contacts per 100 consignments; status questions and PODs are the largest avoidable group",
                        "Portal status refreshed only every 4 hours - customers call instead",
                        "Meridian audit: live status, POD self-service and better email handling could remove ~23% of contacts",
                        "Customer service turnover 24%"],
        },
        {
            "title": "Costs: where the margin went",
            "table": (["Cost line (EUR m)", "2024", "2025", "Change"], [
                ["Personnel", "51.0", "54.1", "+6.1%"],
                ["Subcontracted transport", "35.9", "38.6", "+7.5%"],
                ["Temporary agency labour", "5.1", "6.2", "+21.6%"],
                ["Claims and insurance", "1.9", "2.4", "+26.3%"],
                ["Fuel and tolls", "14.6", "14.2", "-2.7%"],
            ]),
            "bullets": ["Manual work hides in overheads: 11 planners on spreadsheets, 9 FTE on carrier invoice matching"],
            "notes": "Agency labour overspend linked to manual weekly forecasting, mainly in Venlo (MAPE 17%).",
        },
        {
            "title": "Technology and data: foundations first",
            "bullets": ["Snowflake data warehouse (since 2023) holds finance, CRM, service and nightly TMS data",
                        "Gaps: no real-time data flow; Duisburg WMS (LagerPro) not connected; 7.3% of SKUs without dimensions",
                        "BizTalk Server 2016 (EDI with 140 customers) out of mainstream support - replacement 2026, EUR 0.9m",
                        "ISO 27001 certified; preparing for NIS2",
                        "Copilot pilot: 40 users since October, positive feedback on email summaries and translation"],
        },
        {
            "title": "AI opportunities - shortlist for the 2026 programme",
            "table": (["Opportunity", "Value driver", "Readiness of data"], [
                ["Volume and labour forecasting (warehouses)", "Agency cost EUR 6.2m; MAPE 17% in Venlo", "Good (2 years in Snowflake, not Duisburg)"],
                ["Carrier invoice matching", "9 FTE, 38,400 invoices, 22% discrepancies", "Medium (TMS trips, PODs not indexed)"],
                ["AI-assisted customer emails and triage", "52% of 96,400 tickets are emails", "Medium (GDPR: DPIA needed)"],
                ["Route planning decision support", "Empty km 18.7%; two senior planners retire 2027", "Medium (time windows outdated)"],
                ["Damage photo and cause classification", "3.2 claims per 100 consignments", "Low (photos on WhatsApp)"],
            ]),
            "notes": "The Board asked management to return in Q1 2026 with an AI readiness assessment and three business cases.",
        },
        {
            "title": "Northwind 2028 - for approval",
            "bullets": ["Reliable service: 95% on time from 2027; damage claims below 2.0 per 100 by 2028",
                        "Transparency: real-time track and trace by Q3 2026",
                        "Smarter planning and less administration, supported by data and AI (EUR 1.8m over 3 years)",
                        "Modern foundations: BizTalk replacement 2026, Duisburg onto StockPilot 2026-2027",
                        "Financial: EBITDA margin 11.5% and revenue EUR 185m in 2028; net debt below 2x EBITDA"],
        },
        {
            "title": "2026 budget and capex - for approval",
            "table": (["Item", "2026 budget"], [
                ["Revenue", "EUR 158-162m"],
                ["EBITDA", "EUR 15.4m (9.6%)"],
                ["Capex: 8 battery-electric tractors and 14 diesel replacements", "EUR 6.4m"],
                ["Capex: integration platform (BizTalk replacement)", "EUR 0.9m"],
                ["Capex: Duisburg WMS migration phase 1", "EUR 1.1m"],
                ["Data and AI programme, year 1", "EUR 0.7m"],
                ["Other capex (sites, forklifts, IT)", "EUR 2.4m"],
            ]),
            "notes": "Total capex EUR 11.5m including the data and AI programme items that are capitalised.",
        },
        {
            "title": "Risks and decisions requested",
            "bullets": ["Top risks: driver shortage, cyber attack, service failure with key customers, loss of planning know-how",
                        "Dutch truck charge from 1 July 2026: about EUR 1.9m a year; 22% of contracts without pass-through",
                        "Decision 1: approve the Northwind 2028 strategy",
                        "Decision 2: approve the 2026 budget and capex of EUR 11.5m",
                        "Decision 3: mandate an AI readiness assessment and three AI business cases for the March 2026 meeting"],
            "notes": "All three decisions were approved.",
        },
    ],
}

FACTS = [
    ("Henk van der Linden and Ria Smulders", "interview-coo-thomas-brandt.docx", None, "section 2. Transport planning"),
    ("built a forecast prototype in Python last autumn", "interview-coo-thomas-brandt.docx", None, "section 3. Warehouses and labour"),
    ("nine people matching carrier invoices against our orders and PODs by hand", "interview-coo-thomas-brandt.docx", None, "section 5"),
    ("we call it the Bible", "interview-head-of-customer-service-sanne-kuipers.docx", None, "section 3. Tools and knowledge"),
    ("WISMO below 5% of tickets", "interview-head-of-customer-service-sanne-kuipers.docx", None, "section 5. Ideas and concerns"),
    ("We have reserved EUR 1.8 million for data and AI over 2026-2028", "ceo-strategy-memo-northwind-2028.docx", None, "Data and AI"),
    ("There will be no forced redundancies as a result of automation", "ceo-strategy-memo-northwind-2028.docx", None, "Data and AI"),
    ("Lost: consumer electronics warehousing contract in Tilburg", "board-deck-2025-12.pptx", 3, "slide '2025 in brief'"),
    ("9 FTE on carrier invoice matching", "board-deck-2025-12.pptx", 6, "slide 'Costs: where the margin went'"),
    ("AI opportunities - shortlist for the 2026 programme", "board-deck-2025-12.pptx", 8, "slide title"),
    ("Duisburg WMS migration phase 1", "board-deck-2025-12.pptx", 10, "slide '2026 budget and capex'"),
]
