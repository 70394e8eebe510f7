"""What the operation handlers share, one concept per module.

The handler modules (:mod:`botostub_ec2.operations`) are leaves: they import from here, never from
one another, and nothing here imports a handler module (``tests/test_layout.py`` checks both).

* :mod:`.arns`: ARNs of images, snapshots, instances and volumes;
* :mod:`.lookups`: id syntax, existence and visibility (``find_image``, ``find_snapshot``...);
* :mod:`.iam_context`: the IAM condition keys of a request on a resource;
* :mod:`.authorization`: asking the evaluator about an image, about tagging on create;
* :mod:`.retention`: Recycle Bin retention (which rule keeps a deleted resource, how long);
* :mod:`.snapshot_deletion`: which images use a snapshot, deleting one (into the bin or for good);
* :mod:`.tagging`: which tags a caller sees and may set;
* :mod:`.filters`: EC2 ``Filters`` and user lists;
* :mod:`.pagination`: ``MaxResults`` checks and ``NextToken`` pages.
"""
