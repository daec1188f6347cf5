"""The JSON-Schema value generator produces values pydantic accepts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

import pytest
from openai.lib._pydantic import to_strict_json_schema
from pydantic import AnyUrl, BaseModel, Field

from emulators.content import structured_json
from emulators.schema_values import generate_value


class Color(StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    city: str = Field(min_length=2, max_length=40)
    postcode: Annotated[str, Field(pattern=r"^[0-9]{4}-[A-Z]{2}$")]


class LineItem(BaseModel):
    sku: Literal["sku-1", "sku-2"]
    quantity: int = Field(ge=1, le=9)
    unit_price: float = Field(gt=0, lt=5)
    discount: float = Field(default=0.0, ge=0, le=0.5)
    step: int = Field(multiple_of=5, gt=12)


class Order(BaseModel):
    id: Literal["order"]
    website: AnyUrl
    placed_on: dt.date
    placed_at: dt.datetime
    address: Address
    billing: Address | None = None
    items: list[LineItem] = Field(min_length=3, max_length=4)
    colors: list[Color] = Field(min_length=2)
    tags: set[str] = set()
    notes: str | None = None
    reasons: list[str]
    summary: str
    flags: dict[str, bool] = {}
    rating: Annotated[int, Field(ge=-5, le=-1)]
    kind: Literal["a", "b"] | int
    pair: tuple[int, str]


class Tree(BaseModel):
    label: str
    children: list[Tree] = []
    parent: Tree | None = None


class Tagged(BaseModel):
    animal: Annotated[Cat | Dog, Field(discriminator="kind")]


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int = Field(ge=1, le=9)


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


Tagged.model_rebuild()


@pytest.mark.parametrize("model", [Order, Address, LineItem, Tree, Tagged])
@pytest.mark.parametrize("strict", [False, True])
def test_generated_values_validate(model: type[BaseModel], strict: bool) -> None:
    schema = to_strict_json_schema(model) if strict else model.model_json_schema()
    value = generate_value(schema, name=model.__name__)
    model.model_validate(value)
    assert generate_value(schema, name=model.__name__) == value  # deterministic


def test_generator_details() -> None:
    order = Order.model_validate(generate_value(Order.model_json_schema()))
    assert len(order.items) == 3
    assert order.colors == [Color.RED, Color.GREEN]  # distinct enum values
    assert order.reasons[0].startswith("reason: ")
    assert order.summary.startswith("summary: ")
    assert order.billing is not None and order.notes is not None  # optional fields filled
    assert order.address.postcode == "0000-AA"
    assert order.rating == -1
    assert order.items[0].step == 15


def test_schema_keywords() -> None:
    assert generate_value({"type": "string", "format": "date-time"}) == "2024-01-15T12:00:00Z"
    assert generate_value({"type": "string", "format": "uri"}).startswith("https://")
    assert generate_value({"const": 7}) == 7
    assert generate_value({"type": "integer", "default": 4}) == 4
    assert generate_value({"type": ["null", "number"], "minimum": 10}) == 10
    assert generate_value({"type": "array", "items": {"type": "integer"}, "maxItems": 1}) == [1]
    assert generate_value({"oneOf": [{"type": "null"}, {"type": "boolean"}]}) is True
    ref = {"$defs": {"X": {"type": "integer", "maximum": -3}}, "$ref": "#/$defs/X"}
    assert generate_value(ref) == -3
    legacy = {"definitions": {"Y": {"enum": ["q"]}}, "properties": {"y": {"$ref": "#/definitions/Y"}}}
    assert generate_value(legacy) == {"y": "q"}
    assert generate_value({"type": "string", "minLength": 30, "maxLength": 30}).__len__() == 30
    assert generate_value({"type": "number", "exclusiveMinimum": 2, "exclusiveMaximum": 3}) == 2.5
    assert generate_value({"type": "integer", "minimum": 5, "exclusiveMinimum": True}) == 6


def test_json_object_mode_is_an_object() -> None:
    assert structured_json(None).startswith("{")
