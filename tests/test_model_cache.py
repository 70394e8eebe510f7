"""Sessions created while a stub is active reuse loaded service models; nothing else is shared."""

from __future__ import annotations

import boto3
from botocore.client import ClientCreator
from botocore.loaders import JSONFileLoader, Loader

from botostub_ec2 import Ec2Stub, model_cache

ORIGINALS = (JSONFileLoader.__dict__["load_file"], Loader.__dict__["list_available_services"],
             ClientCreator.__dict__["_create_methods"])


def test_sessions_share_parsed_models_while_active():
    model_cache.clear()
    with Ec2Stub():
        first = boto3.Session(region_name="us-east-1").client("ec2")
        second = boto3.Session(region_name="us-east-1").client("ec2")
    # The same parsed document backs both clients' service models...
    assert first.meta.service_model._service_description is \
        second.meta.service_model._service_description
    # ...but each client is its own object with its own emitter and class attributes.
    assert first is not second and first.meta.events is not second.meta.events
    assert type(first).deregister_image is type(second).deregister_image


def test_caches_are_unpatched_when_the_last_stub_stops():
    with Ec2Stub(), Ec2Stub():
        assert JSONFileLoader.__dict__["load_file"] is not ORIGINALS[0]
    assert (JSONFileLoader.__dict__["load_file"], Loader.__dict__["list_available_services"],
            ClientCreator.__dict__["_create_methods"]) == ORIGINALS


def test_creating_client_class_handlers_still_run_per_session():
    seen = []
    with Ec2Stub():
        for marker in ("a", "b"):
            session = boto3.Session(region_name="us-east-1")

            def add(class_attributes, marker=marker, **kwargs):
                seen.append(marker)
                class_attributes["marker"] = marker

            session.events.register("creating-client-class.ec2", add)
            client = session.client("ec2")
            assert client.marker == marker
    assert seen == ["a", "b"]


def test_clients_built_from_the_cache_answer_calls():
    stub = Ec2Stub()
    image = stub.add_image("web")
    with stub:
        boto3.Session(region_name="us-east-1").client("ec2")
        client = boto3.Session(region_name="us-east-1").client("ec2")
        assert client.deregister_image(ImageId=image.image_id)["Return"] is True
