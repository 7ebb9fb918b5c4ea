"""Distribution metadata for poser-web, the Pyramid admin for Poser's custom tables."""
from setuptools import find_namespace_packages, setup

requires = [
    # pyramid 2.1 and deform 3.0.1 still import pkg_resources, gone from setuptools 81.
    "setuptools<81",
    "pyramid>=2.0",
    "pyramid_chameleon>=0.3",
    "pyramid_tm>=2.5",
    "pyramid_retry>=2.1",
    "transaction>=4.0",
    "zope.sqlalchemy>=3.1",
    "SQLAlchemy>=2.0,<3",
    # 1.18: comparators with a priority (db/search_migrations.py runs after the tables').
    "alembic>=1.18",
    "colander>=2.0",
    "deform>=3.0.1",
    "waitress>=3.0,<4",  # web/server.py hands it a dispatcher through create_server
    "argon2-cffi>=23.1",
    "openpyxl>=3.1",
    "tqdm>=4.66",  # progress bar of `poser import` / `poser export` on a terminal
    # The pages' gzip (web/compression.py): ISA-L's deflate, a third of zlib's CPU per page.
    "isal>=1.6",
]

extras = {
    "postgresql": ["psycopg[binary]>=3.1"],
    # The datasync `amqp` consumer (RabbitMQ): pika is RabbitMQ's own recommended Python client,
    # pure Python, no dependencies, with publisher confirms on its blocking connection.
    "amqp": ["pika>=1.3"],
    "testing": [
        "pika>=1.3",  # the amqp consumer's tests (RabbitMQ on 127.0.0.1:5672)
        "pytest>=8",
        # A time limit on every test (tests/conftest.py): a hang fails with a traceback.
        "pytest-timeout>=2.3",
        "WebTest>=3.0",
        "beautifulsoup4>=4.12",  # response.html in page tests
        "playwright>=1.45",
        # axe-core (Deque's accessibility rules engine) bundled for Playwright: the pages'
        # 0-violation check in tests/browser/test_accessibility.py; nothing downloaded at run time.
        "axe-playwright-python>=0.1.4",
        "hypothesis>=6.100",
        # Validates the API's OpenAPI 3.1 document against the specification's own schema.
        "openapi-spec-validator>=0.7",
        # `make test` runs `ruff check tests/` first: a test that shadows a fixture or binds a
        # loop variable late is a test that checks less than it says. Pinned: each release
        # moves the default rules (ruff.toml).
        "ruff==0.17.6",
    ],
    "dev": ["pyramid_debugtoolbar>=4.10"],
}

setup(
    name="poser-web",
    version="0.1.0",
    description="Pyramid web admin for the custom tables of a Rattail-style Poser project",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    # Data directories (static/, templates/, templates/deform/, scaffold/templates/, …)
    # count as (namespace) packages: their files install by package_data below, without
    # setuptools' "absent from the packages configuration" warnings; new ones alike.
    packages=find_namespace_packages(include=["poser_web", "poser_web.*"],
                                     exclude=["*.__pycache__"]),
    package_dir={"": "."},  # a plain .pth editable install (no import hook, no warning)
    # Templates, assets and scaffold templates of every package (MANIFEST.in: the sdist).
    package_data={"": ["*.pt", "*.css", "*.js", "*.tmpl"]},
    zip_safe=False,
    install_requires=requires,
    extras_require=extras,
    entry_points={
        "paste.app_factory": ["main = poser_web:main"],
        # [server:main] use = egg:poser-web#waitress (web/server.py)
        "paste.server_runner": ["waitress = poser_web.web.server:serve_paste"],
        "console_scripts": ["poser = poser_web.cli:main"],
        # Datasync consumer types (`type = NAME` in a [datasync:...] section); add your own.
        "poser.datasync.consumers": [
            "poser = poser_web.datasync.consumers.poser:PoserConsumer",
            "amqp = poser_web.datasync.consumers.amqp:AmqpConsumer",
        ],
    },
)
