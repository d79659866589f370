"""PUT and GET operations per second of one boto3 client process, small
objects, against one S3 endpoint. Usage: bench.py ENDPOINT [COUNT] [SIZE].

Sequential (one request in flight): the figure is 1 / latency per operation,
client included. Bounded: COUNT PUTs, then COUNT GETs.
"""

import sys
import time
import uuid

import boto3
from botocore.config import Config

endpoint = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 500
size = int(sys.argv[3]) if len(sys.argv) > 3 else 1024
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    aws_access_key_id="any-key-id",
    aws_secret_access_key="storesimd",
    region_name="us-east-1",
    config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}),
)
bucket = "bench-" + uuid.uuid4().hex[:12]
s3.create_bucket(Bucket=bucket)
body = b"x" * size
for i in range(20):  # warm up connections
    s3.put_object(Bucket=bucket, Key=f"warm{i}", Body=body)
start = time.monotonic()
for i in range(count):
    s3.put_object(Bucket=bucket, Key=f"k{i}", Body=body)
put_s = time.monotonic() - start
start = time.monotonic()
for i in range(count):
    assert len(s3.get_object(Bucket=bucket, Key=f"k{i}")["Body"].read()) == size
get_s = time.monotonic() - start
print(f"{endpoint}: {count} PUTs {count / put_s:.0f}/s, {count} GETs {count / get_s:.0f}/s ({size} B objects, one boto3 process)")
