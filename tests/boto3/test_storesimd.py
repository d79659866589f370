"""boto3 (a client nobody here wrote) against a running storesimd cluster.

The S3 endpoints come from STORESIMD_ENDPOINTS (comma-separated URLs); each
test talks to them in turn, so a write through one node is read through
another. Run by tests/boto3/run.sh, which starts the cluster.

With STORESIMD_PRINCIPALS (KEY:SECRET,..., the first the owner, as given to
the cluster's --principals) every request is signed by the owner, and
AccessControl proves SigV4 and bucket policies with other principals;
without it (an open cluster) any key signs with `storesimd` and
AccessControl is skipped.
"""

import datetime
import json
import os
import time
import unittest
import urllib.error
import urllib.request
import uuid
from unittest import mock

import boto3
import botocore
import botocore.auth
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINTS = os.environ.get("STORESIMD_ENDPOINTS", "http://127.0.0.1:9000").split(",")
# The cluster's protocol (run.sh sets it): paxos serves no versioning, and
# only paxos promises one winner among racing If-None-Match creates.
PROTOCOL = os.environ.get("STORESIMD_PROTOCOL", "quorum")
PRINCIPALS = [p.split(":", 1) for p in os.environ.get("STORESIMD_PRINCIPALS", "").split(",") if p]
OWNER = PRINCIPALS[0] if PRINCIPALS else ["any-key-id", "storesimd"]
# How long a node trusts a bucket policy it read (the cluster's --policy-cache-ttl-ms).
POLICY_TTL_S = int(os.environ.get("STORESIMD_POLICY_TTL_MS", "1000")) / 1000


def client(i, key=None, secret=None, signed=True):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINTS[i % len(ENDPOINTS)],
        aws_access_key_id=key or OWNER[0],
        aws_secret_access_key=secret or OWNER[1],
        region_name="us-east-1",
        # Retries off: each call's status is what the node answered.
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"},
            s3={"addressing_style": "path"},
            **({} if signed else {"signature_version": botocore.UNSIGNED}),
        ),
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


def policy(bucket, *statements):
    """An S3 bucket policy document: (effect, principal, action, resource-under-bucket) tuples."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": effect, "Principal": {"AWS": [who]}, "Action": action,
             "Resource": f"arn:aws:s3:::{bucket}/{resource}"}
            for effect, who, action, resource in statements
        ],
    })


@unittest.skipUnless(len(PRINCIPALS) >= 3, "needs STORESIMD_PRINCIPALS: the owner and two others")
class AccessControl(unittest.TestCase):
    """SigV4 with principals and bucket policies, as boto3 sees them."""

    def setUp(self):
        self.bucket = "a-" + uuid.uuid4().hex[:12]
        (bob, bob_secret), (carol, carol_secret) = PRINCIPALS[1], PRINCIPALS[2]
        self.bob_name, self.carol_name = bob, carol
        self.owner = [client(i) for i in range(len(ENDPOINTS))]
        self.bob = [client(i, bob, bob_secret) for i in range(len(ENDPOINTS))]
        self.carol = [client(i, carol, carol_secret) for i in range(len(ENDPOINTS))]
        self.owner[0].create_bucket(Bucket=self.bucket)
        for key in ("pub/a", "priv/b", "secret/c"):
            self.owner[0].put_object(Bucket=self.bucket, Key=key, Body=key.encode())

    def refused(self, code, call, **kwargs):
        with self.assertRaises(ClientError) as caught:
            call(**kwargs)
        error = caught.exception.response
        self.assertEqual(status(caught.exception), 403, error)
        self.assertEqual(error["Error"]["Code"], code, error)
        return error["Error"]

    def grant_bob(self, *extra):
        doc = policy(self.bucket, ("Allow", self.bob_name, "s3:GetObject", "pub/*"), *extra)
        self.owner[0].put_bucket_policy(Bucket=self.bucket, Policy=doc)
        return doc

    def test_bad_signatures_unknown_keys_skew_and_anonymous_are_refused(self):
        forged = client(0, OWNER[0], "not-the-secret")
        self.refused("SignatureDoesNotMatch", forged.put_object, Bucket=self.bucket, Key="x", Body=b"x")
        self.refused("SignatureDoesNotMatch", forged.get_object, Bucket=self.bucket, Key="pub/a")
        self.refused("InvalidAccessKeyId", client(1, "nobody", "x").get_object, Bucket=self.bucket, Key="pub/a")
        self.refused("AccessDenied", client(2, signed=False).get_object, Bucket=self.bucket, Key="pub/a")
        # Signed 20 minutes ago: outside S3's 15-minute window on the server's clock.
        late = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=late):
            self.refused("RequestTimeTooSkewed", self.owner[1].get_object, Bucket=self.bucket, Key="pub/a")
        # Nothing was written by the refused PUT.
        self.expect_missing("x")

    def expect_missing(self, key):
        with self.assertRaises(ClientError) as caught:
            self.owner[0].head_object(Bucket=self.bucket, Key=key)
        self.assertEqual(status(caught.exception), 404)

    def test_default_deny_and_only_the_owner_administers(self):
        self.refused("AccessDenied", self.bob[0].get_object, Bucket=self.bucket, Key="pub/a")
        self.refused("AccessDenied", self.bob[1].list_objects_v2, Bucket=self.bucket)
        self.refused("AccessDenied", self.bob[2].create_bucket, Bucket=self.bucket + "-bob")
        self.refused("AccessDenied", self.bob[0].put_bucket_policy, Bucket=self.bucket,
                     Policy=policy(self.bucket, ("Allow", self.bob_name, "s3:*", "*")))
        self.refused("AccessDenied", self.bob[0].get_bucket_policy, Bucket=self.bucket)
        with self.assertRaises(ClientError) as caught:
            self.owner[0].get_bucket_policy(Bucket=self.bucket)
        self.assertEqual(caught.exception.response["Error"]["Code"], "NoSuchBucketPolicy")
        with self.assertRaises(ClientError) as caught:
            self.owner[0].put_bucket_policy(Bucket=self.bucket, Policy='{"Statement": [{"Effect": "Maybe"}]}')
        self.assertEqual(status(caught.exception), 400)
        self.assertEqual(caught.exception.response["Error"]["Code"], "MalformedPolicy")

    def test_a_grant_on_a_prefix_reads_there_and_nowhere_else(self):
        doc = self.grant_bob()
        self.assertEqual(json.loads(self.owner[1].get_bucket_policy(Bucket=self.bucket)["Policy"]), json.loads(doc))
        for node in self.bob:  # every node reads the policy from the replicated store
            self.assertEqual(node.get_object(Bucket=self.bucket, Key="pub/a")["Body"].read(), b"pub/a")
        with self.assertRaises(ClientError) as caught:  # allowed: the key's absence is the bob's to know
            self.bob[1].get_object(Bucket=self.bucket, Key="pub/missing")
        self.assertEqual(caught.exception.response["Error"]["Code"], "NoSuchKey")
        existing = self.refused("AccessDenied", self.bob[2].get_object, Bucket=self.bucket, Key="priv/b")
        missing = self.refused("AccessDenied", self.bob[2].get_object, Bucket=self.bucket, Key="priv/missing")
        self.assertEqual(existing, missing, "a denied key must not tell whether it exists")
        self.refused("AccessDenied", self.bob[0].put_object, Bucket=self.bucket, Key="pub/new", Body=b"x")
        self.refused("AccessDenied", self.bob[0].delete_object, Bucket=self.bucket, Key="pub/a")
        self.refused("AccessDenied", self.carol[0].get_object, Bucket=self.bucket, Key="pub/a")
        self.expect_missing("pub/new")

    def test_an_explicit_deny_overrides_an_allow(self):
        self.owner[0].put_bucket_policy(Bucket=self.bucket, Policy=policy(
            self.bucket,
            ("Allow", self.bob_name, "s3:GetObject", "*"),
            ("Deny", self.bob_name, "s3:GetObject", "secret/*"),
        ))
        self.assertEqual(self.bob[1].get_object(Bucket=self.bucket, Key="priv/b")["Body"].read(), b"priv/b")
        existing = self.refused("AccessDenied", self.bob[1].get_object, Bucket=self.bucket, Key="secret/c")
        missing = self.refused("AccessDenied", self.bob[2].get_object, Bucket=self.bucket, Key="secret/none")
        self.assertEqual(existing, missing)

    def test_a_revoke_refuses_everywhere_after_the_ttl(self):
        self.grant_bob()
        self.assertEqual(self.bob[1].get_object(Bucket=self.bucket, Key="pub/a")["Body"].read(), b"pub/a")
        cached_at = time.monotonic()  # node 1 now trusts the grant for the TTL
        self.owner[0].delete_bucket_policy(Bucket=self.bucket)
        # The node that served the revoke dropped its copy: refused at once.
        self.refused("AccessDenied", self.bob[0].get_object, Bucket=self.bucket, Key="pub/a")
        try:  # node 1 may still serve its stale allow: S3's eventual consistency
            self.bob[1].get_object(Bucket=self.bucket, Key="pub/a")
            stale = True
        except ClientError:
            stale = False
        if time.monotonic() - cached_at < POLICY_TTL_S / 2:
            self.assertTrue(stale, "within the TTL node 1 serves its cached grant")
        time.sleep(POLICY_TTL_S + 0.3)
        for node in self.bob:
            self.refused("AccessDenied", node.get_object, Bucket=self.bucket, Key="pub/a")
        with self.assertRaises(ClientError) as caught:
            self.owner[2].get_bucket_policy(Bucket=self.bucket)
        self.assertEqual(caught.exception.response["Error"]["Code"], "NoSuchBucketPolicy")

    def fetch(self, url):
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def test_presigned_urls_work_until_they_expire(self):
        self.grant_bob()
        fresh = self.bob[0].generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "pub/a"}, ExpiresIn=60)
        self.assertEqual(self.fetch(fresh), (200, b"pub/a"))
        ungranted = self.carol[0].generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "pub/a"}, ExpiresIn=60)
        code, body = self.fetch(ungranted)
        self.assertEqual((code, b"<Code>AccessDenied</Code>" in body), (403, True), body)
        short = self.bob[1].generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "pub/a"}, ExpiresIn=1)
        time.sleep(2.2)
        code, body = self.fetch(short)
        self.assertEqual(code, 403, body)
        self.assertIn(b"<Code>AccessDenied</Code>", body)
        self.assertIn(b"expired", body)
        forged = client(0, self.bob_name, "not-the-secret").generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": "pub/a"}, ExpiresIn=60)
        code, body = self.fetch(forged)
        self.assertEqual((code, b"<Code>SignatureDoesNotMatch</Code>" in body), (403, True), body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
