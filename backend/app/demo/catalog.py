"""Vocabulary of the demo data: roles with their skill pools, places, companies, names.

Kept apart from the generator so the shapes of the data (what a data engineer knows,
what a Berlin salary is paid in) can be read and adjusted without reading code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    """A job family: titles, skills every such job asks for, and optional extras."""

    key: str
    title: str
    core_skills: tuple[str, ...]
    extra_skills: tuple[str, ...]
    base_salary_usd: int  # mid-level, in a US city
    work: tuple[str, ...]  # what the team does, for descriptions and résumés


ROLES: tuple[Role, ...] = (
    Role(
        "backend", "Backend Engineer",
        ("python", "sql", "postgresql", "django", "fastapi", "go", "java", "rest apis"),
        ("redis", "kafka", "docker", "aws", "graphql", "celery", "microservices", "grpc"),
        130_000,
        ("build and operate the APIs behind our marketplace",
         "design data models and services that handle millions of requests a day",
         "own the payment and billing services end to end"),
    ),
    Role(
        "frontend", "Frontend Engineer",
        ("javascript", "typescript", "react", "css", "html", "next.js", "vue"),
        ("accessibility", "webpack", "testing library", "design systems", "graphql", "storybook"),
        125_000,
        ("craft the web app our customers use every day",
         "build an accessible design system shared by five product teams",
         "turn complex workflows into fast, friendly interfaces"),
    ),
    Role(
        "fullstack", "Full-Stack Engineer",
        ("typescript", "react", "node.js", "python", "postgresql", "rest apis"),
        ("aws", "docker", "graphql", "redis", "tailwind", "next.js"),
        128_000,
        ("ship features from database schema to pixel",
         "build internal tools that save our operations team hours every week"),
    ),
    Role(
        "data-engineering", "Data Engineer",
        ("python", "sql", "spark", "airflow", "dbt", "kafka", "snowflake"),
        ("aws", "bigquery", "scala", "terraform", "data modeling", "flink"),
        135_000,
        ("build the pipelines that feed analytics and machine learning",
         "run a lakehouse processing terabytes of events per day"),
    ),
    Role(
        "data-science", "Data Scientist",
        ("python", "sql", "statistics", "pandas", "scikit-learn", "a/b testing"),
        ("r", "tableau", "experimentation", "causal inference", "forecasting", "spark"),
        132_000,
        ("turn product data into decisions through experiments and models",
         "forecast demand and measure the impact of every launch"),
    ),
    Role(
        "ml", "Machine Learning Engineer",
        ("python", "pytorch", "machine learning", "mlops", "tensorflow", "nlp"),
        ("kubernetes", "llms", "computer vision", "spark", "docker", "feature stores", "aws"),
        150_000,
        ("train, ship and monitor the ranking models behind search",
         "bring language models into production safely and cheaply"),
    ),
    Role(
        "devops", "DevOps Engineer",
        ("kubernetes", "terraform", "aws", "docker", "linux", "ci/cd"),
        ("prometheus", "grafana", "ansible", "gcp", "go", "python", "helm", "observability"),
        135_000,
        ("run the platform every engineer deploys to",
         "automate infrastructure and keep our services reliable"),
    ),
    Role(
        "sre", "Site Reliability Engineer",
        ("linux", "kubernetes", "observability", "incident response", "go", "prometheus"),
        ("terraform", "aws", "python", "postgresql", "chaos engineering"),
        140_000,
        ("keep a global service at four nines and make on-call humane",),
    ),
    Role(
        "mobile", "Mobile Engineer",
        ("swift", "kotlin", "ios", "android", "react native", "flutter"),
        ("graphql", "ci/cd", "accessibility", "firebase", "rest apis"),
        128_000,
        ("build our iOS and Android apps used by two million people",
         "make the mobile experience fast on every network"),
    ),
    Role(
        "security", "Security Engineer",
        ("application security", "threat modeling", "penetration testing", "aws", "python"),
        ("siem", "incident response", "cryptography", "kubernetes", "compliance", "iam"),
        145_000,
        ("protect customer data and harden our cloud platform",
         "run our security review and bug bounty programmes"),
    ),
    Role(
        "product", "Product Manager",
        ("product strategy", "roadmapping", "user research", "analytics", "stakeholder management"),
        ("sql", "a/b testing", "agile", "b2b saas", "pricing"),
        140_000,
        ("decide what we build next and why",
         "lead a cross-functional team from discovery to launch"),
    ),
    Role(
        "design", "Product Designer",
        ("figma", "user research", "interaction design", "prototyping", "design systems"),
        ("accessibility", "visual design", "usability testing", "motion design", "html"),
        120_000,
        ("design the end-to-end experience of our hiring tools",
         "shape a design system used across web and mobile"),
    ),
    Role(
        "qa", "QA Engineer",
        ("test automation", "selenium", "playwright", "python", "ci/cd"),
        ("javascript", "api testing", "performance testing", "cypress", "sql"),
        105_000,
        ("own test automation for our web and mobile releases",),
    ),
)

#: (city, currency, salary multiplier relative to a US city)
CITIES: tuple[tuple[str, str, float], ...] = (
    ("New York", "USD", 1.05),
    ("San Francisco", "USD", 1.15),
    ("Austin", "USD", 0.92),
    ("Seattle", "USD", 1.05),
    ("Chicago", "USD", 0.9),
    ("Toronto", "CAD", 1.0),
    ("London", "GBP", 0.62),
    ("Berlin", "EUR", 0.62),
    ("Amsterdam", "EUR", 0.68),
    ("Paris", "EUR", 0.6),
    ("Lisbon", "EUR", 0.42),
    ("Madrid", "EUR", 0.45),
    ("Stockholm", "EUR", 0.6),
    ("Warsaw", "EUR", 0.4),
    ("Dublin", "EUR", 0.7),
)

SENIORITY_TITLES = {
    "junior": "Junior ",
    "mid": "",
    "senior": "Senior ",
    "lead": "Lead ",
    "principal": "Principal ",
}
SENIORITY_PAY = {"junior": 0.7, "mid": 1.0, "senior": 1.3, "lead": 1.5, "principal": 1.75}
SENIORITY_YEARS = {"junior": (0, 2), "mid": (3, 5), "senior": (6, 9), "lead": (10, 14),
                   "principal": (15, 25)}

COMPANIES: tuple[str, ...] = (
    "Northwind Labs", "Bluefin Health", "Copperleaf Energy", "Atlas Freight", "Juniper Bank",
    "Lumen Learning", "Orbital Maps", "Pinecrest Retail", "Quayside Travel", "Redwood Games",
    "Saltmarsh Media", "Tidewater Insurance", "Umbra Security", "Vantage Analytics",
    "Willow Robotics", "Yellowtail Foods", "Zephyr Mobility", "Harbor & Co", "Kestrel AI",
    "Meridian Legal",
)

FIRST_NAMES: tuple[str, ...] = (
    "Ada", "Bram", "Chloé", "Dmitri", "Elena", "Farah", "Goran", "Hana", "Ibrahim", "Jonas",
    "Keiko", "Lucía", "Mateo", "Nadia", "Oluwaseun", "Priya", "Quentin", "Rosa", "Sven",
    "Tariq", "Uma", "Valentina", "Wei", "Ximena", "Yusuf", "Zofia", "Amara", "Björn", "Carmen",
    "Diego", "Emeka", "Freya", "Grace", "Hiro", "Ines", "Jamal", "Kavya", "Liam", "Mei", "Noah",
)

LAST_NAMES: tuple[str, ...] = (
    "Okafor", "Lindqvist", "Moreau", "Petrov", "García", "Haddad", "Novak", "Sato", "Khan",
    "Schmidt", "Tanaka", "Fernández", "Rossi", "Nowak", "Adeyemi", "Sharma", "Dubois", "Silva",
    "Berg", "Rahman", "Iyer", "Bianchi", "Chen", "López", "Demir", "Kowalska", "Mensah",
    "Andersson", "Ortiz", "Walsh", "Kim", "Nguyen", "O'Brien", "Müller", "Costa", "Yilmaz",
)

BENEFITS: tuple[str, ...] = (
    "a learning budget", "flexible hours", "private health insurance",
    "a four-day week in summer", "generous parental leave", "stock options",
    "a home-office allowance", "an annual team retreat",
)
