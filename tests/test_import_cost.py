"""``import botostub_ec2`` stays cheap: what only some users need loads on first use."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_operations_their_helpers_wrapt_or_sqlite():
    code = (
        "import sys, boto3; before = set(sys.modules); import botostub_ec2; "
        "new = set(sys.modules) - before; "
        "print(sorted(m for m in new if m.startswith(('wrapt', 'asyncio', 'sqlite3', "
        "'botostub_ec2.operations.', 'botostub_ec2.common', 'botostub_ec2.iam'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_operations_load_when_a_stub_first_answers():
    code = (
        "import sys, boto3\n"
        "from botostub_ec2 import Ec2Stub\n"
        "stub = Ec2Stub(); image = stub.add_image('web')\n"
        "assert 'botostub_ec2.operations.images' not in sys.modules\n"
        "with stub:\n"
        "    boto3.client('ec2', region_name='us-east-1')"
        ".deregister_image(ImageId=image.image_id)\n"
        "assert 'botostub_ec2.operations.images' in sys.modules and 'wrapt' in sys.modules\n"
        "print(stub.image(image.image_id).state)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "deregistered"
