"""The lending library's seed data, the same on both sides and on every start: books, members
and loans at fixed instants (all UTC).
"""
from datetime import datetime, timedelta, timezone

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
LOAN_DAYS = 14


def build():
    books = [
        {"isbn": "9780261103573", "title": "The Fellowship of the Ring", "author": "J. R. R. Tolkien", "year": 1954, "copies": 3},
        {"isbn": "9780141439518", "title": "Pride and Prejudice", "author": "Jane Austen", "year": 1813, "copies": 2},
        {"isbn": "9780451524935", "title": "Nineteen Eighty-Four", "author": "George Orwell", "year": 1949, "copies": 2},
        {"isbn": "9780553386790", "title": "A Game of Thrones", "author": "George R. R. Martin", "year": 1996, "copies": 1},
        {"isbn": "9780316769488", "title": "The Catcher in the Rye", "author": "J. D. Salinger", "year": 1951, "copies": 2},
        {"isbn": "9780060935467", "title": "To Kill a Mockingbird", "author": "Harper Lee", "year": 1960, "copies": 4},
    ]
    members = [
        {"username": "ana", "password": "ana-pass", "name": "Ana Lima", "role": "member"},
        {"username": "bo", "password": "bo-pass", "name": "Bo Berg", "role": "member"},
        {"username": "cy", "password": "cy-pass", "name": "Cy Okafor", "role": "librarian"},
    ]
    loans = []
    seed = [
        ("9780261103573", "ana", 0, True),
        ("9780261103573", "bo", 1, False),
        ("9780141439518", "ana", 2, False),
        ("9780451524935", "bo", 3, True),
        ("9780451524935", "ana", 4, False),
        ("9780060935467", "bo", 5, True),
    ]
    for n, (isbn, member, day, returned) in enumerate(seed, start=1):
        at = T0 + timedelta(days=day, hours=n)
        loans.append(
            {
                "n": n,
                "loan_ref": f"L-{n:04d}",
                "isbn": isbn,
                "member": member,
                "loaned_at": at,
                "due_at": at + timedelta(days=LOAN_DAYS),
                "returned_at": at + timedelta(days=7) if returned else None,
            }
        )
    return {"books": books, "members": members, "loans": loans}
