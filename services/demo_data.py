"""The demo tenant: the Italian consulting SME of the seed article, as data.

Its main objective, three objectives and nine key results are the seed's (kinds, baselines,
targets and units as the seed states them; plausible baselines where it gives none). The
"current" values are those of GLOSSARY's worked examples, so the demo shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

NAMESPACE = uuid5(NAMESPACE_URL, "https://okr.example/demo")


def demo_id(name: str) -> UUID:
    """A stable id for a demo item, so loading twice finds what is there."""
    return uuid5(NAMESPACE, name)


CONSULTANCY_NAME = "Bussola Advisory"
TENANT_NAME = "Esempio Consulenza S.r.l."
TENANT_SLUG = "esempio-consulenza"
TENANT_COLOUR = "#1f6f8b"
TENANT_TIME_ZONE = "Europe/Rome"
FISCAL_YEAR_START_MONTH = 7  # the demo company's fiscal year runs July to June
TENANT_ID = demo_id("tenant:esempio-consulenza")
CONSULTANCY_ID = demo_id("consultancy:bussola")
HELPDESK_KEY_ID = demo_id("api-key:helpdesk")
HELPDESK_KEY_NAME = "Helpdesk (tempi di risposta)"
"""The API key the help desk's tool records response times with (its plaintext: nobody's)."""


@dataclass(frozen=True)
class Person:
    """A demo login."""

    email: str
    name: str
    role: str

    @property
    def id(self) -> UUID:
        return demo_id("user:" + self.email)

    @property
    def actor(self) -> str:
        return f"user:{self.id}"


PASSWORD = "demo-okr-2026"  # noqa: S105 - the published password of the local demo logins
ADMIN = Person("admin@okr.local", "Platform Admin", "platform_admin")
PAOLA = Person("paola@bussola.example", "Paola Ferri", "consultancy_admin")
LUCA = Person("luca@bussola.example", "Luca Conti", "consultant")
GIULIA = Person("giulia@esempio.example", "Giulia Bianchi", "client_admin")
MARCO = Person("marco@esempio.example", "Marco Russo", "client_member")
SARA = Person("sara@esempio.example", "Sara Galli", "client_viewer")
MEMBERS = (PAOLA, LUCA, GIULIA, MARCO, SARA)
"""The consultancy's and the client's people (`okr demo` makes their logins)."""
PEOPLE = (ADMIN, *MEMBERS)


@dataclass(frozen=True)
class KR:
    """A demo key result and the path of its weekly values (first -> current)."""

    key: str
    title: str
    kind: str
    unit: tuple[str, str | None, str | None]  # kind, currency, label
    start: Decimal | None
    target: Decimal | None = None
    target_percent: Decimal | None = None
    first: Decimal = Decimal(0)
    current: Decimal = Decimal(0)
    places: int = 1
    due: str = "cycle"  # "cycle" or "quarter": the seed's "entro il prossimo trimestre"
    kpi: str | None = None
    owner: Person = GIULIA


@dataclass(frozen=True)
class Obj:
    """A demo objective with its key results."""

    key: str
    title: str
    owner: Person
    krs: tuple[KR, ...] = field(default_factory=tuple)


D = Decimal
EUR = ("currency", "EUR", None)

MAIN = Obj(
    "main",
    "Migliorare le prestazioni aziendali e diventare più competitiva rispetto ai concorrenti",
    GIULIA,
)
FY_OBJECTIVES = (
    Obj(
        "market",
        "Aumentare la quota di mercato nel settore dei servizi di consulenza",
        GIULIA,
        (
            KR(
                "new-clients",
                "Aumentare i nuovi clienti acquisiti del 20% rispetto al trimestre precedente",
                "increase",
                ("count", None, "clienti"),
                D(50),
                target_percent=D(20),
                first=D(50),
                current=D(55),
                places=0,
            ),
            KR(
                "satisfaction",
                "Soddisfazione media dei clienti di almeno 4,5 su 5",
                "increase",
                ("score", None, "su 5"),
                D("4.1"),
                target=D("4.5"),
                first=D("4.1"),
                current=D("4.3"),
                places=2,
                kpi="csat",
            ),
            KR(
                "contract-value",
                "Valore medio del contratto per cliente +15% entro fine anno fiscale",
                "increase",
                EUR,
                D(18000),
                target_percent=D(15),
                first=D(18000),
                current=D(19350),
                places=0,
            ),
        ),
    ),
    Obj(
        "efficiency",
        "Migliorare l'efficienza operativa e ridurre i costi operativi",
        MARCO,
        (
            KR(
                "response-time",
                "Ridurre il tempo medio di risposta ai clienti da 24 a 19,2 ore",
                "decrease",
                ("hours", None, None),
                D(24),
                target_percent=D(-20),
                first=D(24),
                current=D(21),
                due="quarter",
                kpi="response",
                owner=MARCO,
            ),
            KR(
                "documents",
                "Nuovo sistema di gestione documentale in produzione (-30% tempo di ricerca)",
                "milestone",
                ("text", None, "fatto"),
                None,
                first=D(0),
                current=D(0),
                places=0,
                owner=MARCO,
            ),
            KR(
                "costs",
                "Ridurre i costi operativi del 10%",
                "decrease",
                EUR,
                D(1200000),
                target_percent=D(-10),
                first=D(1200000),
                current=D(1140000),
                places=0,
                kpi="costs",
                owner=MARCO,
            ),
        ),
    ),
    Obj(
        "loyalty",
        "Potenziare la fidelizzazione e aumentare il valore a vita dei clienti",
        GIULIA,
        (
            KR(
                "renewals",
                "Clienti che rinnovano il contratto annuale dal 70% all'85%",
                "increase",
                ("percent", None, None),
                D(70),
                target=D(85),
                first=D(70),
                current=D(79),
                kpi="renewals",
            ),
            KR(
                "retention",
                "Retention rate +15% con il programma fedeltà",
                "increase",
                ("percent", None, None),
                D(60),
                target_percent=D(15),
                first=D(60),
                current=D(63),
            ),
            KR(
                "lifetime-value",
                "Valore medio a vita del cliente +10% con cross-selling e upselling",
                "increase",
                EUR,
                D(45000),
                target_percent=D(10),
                first=D(45000),
                current=D(46800),
                places=0,
            ),
        ),
    ),
)
QUARTER_OBJECTIVE = Obj("service", "Servizio clienti: risposte più rapide nel trimestre", MARCO, (
    KR("first-contact", "Ticket risolti al primo contatto dal 40% al 55%", "increase",
       ("percent", None, None), D(40), target=D(55), first=D(40), current=D(47), owner=MARCO),
    KR("first-reply", "Prima risposta sempre entro 4 ore", "stay_below", ("hours", None, None),
       None, target=D(4), first=D("3.6"), current=D("3.8"), owner=MARCO),
))  # fmt: skip


@dataclass(frozen=True)
class Kpi:
    """A demo KPI."""

    key: str
    name: str
    direction: str
    green: Decimal
    red: Decimal
    unit: tuple[str, str | None, str | None]
    frequency_days: int = 7


KPIS = (
    Kpi("response", "Tempo medio di risposta", "lower_is_better", D(20), D(24),
        ("hours", None, None)),
    Kpi("csat", "Soddisfazione clienti (CSAT)", "higher_is_better", D("4.5"), D("4.0"),
        ("score", None, "su 5")),
    Kpi("renewals", "Tasso di rinnovo", "higher_is_better", D(85), D(70),
        ("percent", None, None), 30),
    Kpi("costs", "Costi operativi annualizzati", "lower_is_better", D(1080000), D(1200000), EUR,
        30),
)  # fmt: skip

CORRECTION = (
    "satisfaction",
    D("4.6"),
    "errore di battitura: il sondaggio riportava {right}, non 4,6",  # the value it stores
)
TARGET_REVISION = (
    "lifetime-value",
    D(48500),
    "stima rivista dopo l'analisi del portafoglio clienti: mercato in contrazione",
)
