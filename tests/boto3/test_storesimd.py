"""boto3 (a client nobody here wrote) against a running storesimd cluster.

The S3 endpoints come from STORESIMD_ENDPOINTS (comma-separated URLs); each
test talks to them in turn, so a write through one node is read through
another. Run by tests/boto3/run.sh, which starts the cluster.
"""

import os
import unittest
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINTS = os.environ.get("STORESIMD_ENDPOINTS", "http://127.0.0.1:9000").split(",")
# The cluster's protocol (run.sh sets it): paxos serves no versioning, and
# only paxos promises one winner among racing If-None-Match creates.
PROTOCOL = os.environ.get("STORESIMD_PROTOCOL", "quorum")


def client(i):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINTS[i % len(ENDPOINTS)],
        aws_access_key_id="any-key-id",
        aws_secret_access_key="storesimd",
        region_name="us-east-1",
        # Retries off: each call's status is what the node answered.
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"}),
    )


def status(error):
    return error.response["ResponseMetadata"]["HTTPStatusCode"]


class Storesimd(unittest.TestCase):
    def setUp(self):
        self.bucket = "b-" + uuid.uuid4().hex[:12]
        self.s3 = [client(i) for i in range(len(ENDPOINTS))]
        self.s3[0].create_bucket(Bucket=self.bucket)

    def expect_error(self, code, http_status, call, **kwargs):
        with self.assertRaises(ClientError) as caught:
            call(**kwargs)
        self.assertEqual(status(caught.exception), http_status, caught.exception.response)
        if code:
            self.assertEqual(caught.exception.response["Error"]["Code"], code)

    def test_put_get_head_delete_list(self):
        a, b = self.s3[0], self.s3[-1]
        put = a.put_object(Bucket=self.bucket, Key="k1", Body=b"hello", Metadata={"colour": "blue"})
        self.assertEqual(put["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(put["ETag"], '"5d41402abc4b2a76b9719d911017c592"')
        got = b.get_object(Bucket=self.bucket, Key="k1")
        self.assertEqual(got["Body"].read(), b"hello")
        self.assertEqual(got["ETag"], put["ETag"])
        self.assertEqual(got["Metadata"], {"colour": "blue"})
        head = b.head_object(Bucket=self.bucket, Key="k1")
        self.assertEqual(head["ContentLength"], 5)
        self.assertEqual(head["ETag"], put["ETag"])
        for i in range(5):
            self.s3[i % len(self.s3)].put_object(Bucket=self.bucket, Key=f"p/{i}", Body=bytes([i]) * (i * 1000))
        listed = b.list_objects_v2(Bucket=self.bucket, Prefix="p/")
        self.assertEqual([o["Key"] for o in listed["Contents"]], [f"p/{i}" for i in range(5)])
        self.assertEqual([o["Size"] for o in listed["Contents"]], [i * 1000 for i in range(5)])
        self.assertFalse(listed["IsTruncated"])
        paged = b.list_objects_v2(Bucket=self.bucket, MaxKeys=2)
        self.assertEqual(paged["KeyCount"], 2)
        self.assertTrue(paged["IsTruncated"])
        rest = b.list_objects_v2(Bucket=self.bucket, ContinuationToken=paged["NextContinuationToken"])
        keys = [o["Key"] for o in paged["Contents"] + rest.get("Contents", [])]
        self.assertEqual(keys, sorted(["k1"] + [f"p/{i}" for i in range(5)]))
        deleted = a.delete_object(Bucket=self.bucket, Key="k1")
        self.assertEqual(deleted["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.expect_error("NoSuchKey", 404, b.get_object, Bucket=self.bucket, Key="k1")
        self.expect_error(None, 404, b.head_object, Bucket=self.bucket, Key="k1")
        self.assertNotIn("k1", [o["Key"] for o in b.list_objects_v2(Bucket=self.bucket)["Contents"]])

    def test_conditional_puts(self):
        a, b = self.s3[0], self.s3[-1]
        first = a.put_object(Bucket=self.bucket, Key="c", Body=b"one", IfNoneMatch="*")
        self.expect_error("PreconditionFailed", 412, b.put_object, Bucket=self.bucket, Key="c", Body=b"two", IfNoneMatch="*")
        self.expect_error(
            "PreconditionFailed", 412, b.put_object, Bucket=self.bucket, Key="c", Body=b"two",
            IfMatch='"00000000000000000000000000000000"',
        )
        self.expect_error("NoSuchKey", 404, b.put_object, Bucket=self.bucket, Key="absent", Body=b"x", IfMatch=first["ETag"])
        second = b.put_object(Bucket=self.bucket, Key="c", Body=b"two", IfMatch=first["ETag"])
        self.assertEqual(a.get_object(Bucket=self.bucket, Key="c")["Body"].read(), b"two")
        self.expect_error("PreconditionFailed", 412, a.put_object, Bucket=self.bucket, Key="c", Body=b"three", IfMatch=first["ETag"])
        self.assertNotEqual(first["ETag"], second["ETag"])

    def test_conditional_deletes(self):
        a, b = self.s3[0], self.s3[-1]
        put = a.put_object(Bucket=self.bucket, Key="d", Body=b"one")
        self.expect_error(
            "PreconditionFailed", 412, b.delete_object, Bucket=self.bucket, Key="d",
            IfMatch='"00000000000000000000000000000000"',
        )
        self.assertEqual(b.get_object(Bucket=self.bucket, Key="d")["Body"].read(), b"one")
        self.expect_error("NoSuchKey", 404, b.delete_object, Bucket=self.bucket, Key="absent", IfMatch=put["ETag"])
        deleted = b.delete_object(Bucket=self.bucket, Key="d", IfMatch=put["ETag"])
        self.assertEqual(deleted["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.expect_error("NoSuchKey", 404, a.get_object, Bucket=self.bucket, Key="d")

    @unittest.skipUnless(PROTOCOL == "paxos", "only paxos promises one winner")
    def test_racing_creates_have_one_winner(self):
        from concurrent.futures import ThreadPoolExecutor

        def create(i):
            try:
                self.s3[i].put_object(Bucket=self.bucket, Key="race", Body=bytes([i]), IfNoneMatch="*")
                return 200
            except ClientError as e:
                return status(e)

        for _ in range(5):
            with ThreadPoolExecutor(len(self.s3)) as pool:
                answers = list(pool.map(create, range(len(self.s3))))
            self.assertEqual(answers.count(200), 1, answers)
            self.assertTrue(all(a in (200, 409, 412) for a in answers), answers)
            self.s3[0].delete_object(Bucket=self.bucket, Key="race")

    def test_buckets(self):
        a, b = self.s3[0], self.s3[-1]
        self.expect_error("BucketAlreadyOwnedByYou", 409, b.create_bucket, Bucket=self.bucket)
        self.expect_error("NoSuchBucket", 404, b.put_object, Bucket="no-such-bucket-here", Key="k", Body=b"x")
        a.put_object(Bucket=self.bucket, Key="k", Body=b"x")
        self.expect_error("BucketNotEmpty", 409, b.delete_bucket, Bucket=self.bucket)
        a.delete_object(Bucket=self.bucket, Key="k")
        self.assertEqual(b.delete_bucket(Bucket=self.bucket)["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.expect_error(None, 404, a.head_bucket, Bucket=self.bucket)

    @unittest.skipIf(PROTOCOL == "paxos", "paxos keeps one version per object")
    def test_versioning(self):
        a, b = self.s3[0], self.s3[-1]
        a.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})
        v1 = a.put_object(Bucket=self.bucket, Key="v", Body=b"1")["VersionId"]
        v2 = b.put_object(Bucket=self.bucket, Key="v", Body=b"2")["VersionId"]
        self.assertNotEqual(v1, v2)
        self.assertEqual(a.get_object(Bucket=self.bucket, Key="v", VersionId=v1)["Body"].read(), b"1")
        marker = a.delete_object(Bucket=self.bucket, Key="v")
        self.assertTrue(marker["DeleteMarker"])
        self.expect_error("NoSuchKey", 404, b.get_object, Bucket=self.bucket, Key="v")
        versions = b.list_object_versions(Bucket=self.bucket)
        self.assertEqual(sorted(v["VersionId"] for v in versions["Versions"]), sorted([v1, v2]))
        self.assertEqual(len(versions["DeleteMarkers"]), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
