"""Raw messages as mail clients (and broken mailers) write them."""

from __future__ import annotations


def raw(headers: dict[str, str], body: str | bytes, *, crlf: bool = True) -> bytes:
    nl = b"\r\n" if crlf else b"\n"
    head = nl.join(f"{k}: {v}".encode("utf-8", "surrogateescape") for k, v in headers.items())
    data = body if isinstance(body, bytes) else body.encode()
    return head + nl + nl + data.replace(b"\n", nl) if crlf else head + nl + nl + data


THREAD = [
    raw(
        {
            "From": '"=?utf-8?q?=C3=89lodie_Martin?=" <elodie@example.test>',
            "To": "contact@comptoir.test",
            "Subject": "=?utf-8?q?R=C3=A9union_du_jeudi?=",
            "Date": "Tue, 04 Mar 2025 09:15:00 +0100",
            "Message-ID": "<root-1@example.test>",
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Transfer-Encoding": "8bit",
        },
        "Bonjour,\nla réunion de jeudi est-elle maintenue ?\nÉlodie",
    ),
    raw(
        {
            "From": "Comptoir <contact@comptoir.test>",
            "To": "elodie@example.test",
            "Subject": "Re: =?utf-8?q?R=C3=A9union_du_jeudi?=",
            "Date": "Tue, 04 Mar 2025 10:02:00 +0100",
            "Message-ID": "<reply-2@comptoir.test>",
            "In-Reply-To": "<root-1@example.test>",
            "References": "<root-1@example.test>",
            "Content-Type": "text/plain; charset=utf-8",
        },
        "Oui, à 18 h comme prévu.",
    ),
    raw(
        {
            "From": "elodie@example.test",
            "To": "contact@comptoir.test",
            "Subject": "Re: =?utf-8?q?R=C3=A9union_du_jeudi?=",
            "Date": "Tue, 04 Mar 2025 10:30:00 +0100",
            "Message-ID": "<reply-3@example.test>",
            "In-Reply-To": "<reply-2@comptoir.test>",
            "References": "<root-1@example.test>\r\n <reply-2@comptoir.test>",
            "Content-Type": "text/plain; charset=utf-8",
        },
        "Parfait, merci !",
    ),
]


def simple(message_id: str, subject: str = "Hello", body: str = "Hi there") -> bytes:
    return raw(
        {
            "From": "Sam Doe <sam@example.test>",
            "To": "contact@comptoir.test",
            "Subject": subject,
            "Date": "Wed, 05 Mar 2025 08:00:00 +0000",
            "Message-ID": message_id,
        },
        body,
    )


# Each of these once broke a mail parser somewhere.
BROKEN = {
    "unknown_charset": raw(
        {
            "From": "a@example.test",
            "Subject": "=?x-unknown-charset?q?Caf=E9?=",
            "Message-ID": "<broken-1@example.test>",
            "Content-Type": "text/plain; charset=x-does-not-exist",
        },
        "Un caf\xe9 ?".encode("latin-1"),
    ),
    "lying_utf8": raw(
        {
            "From": "b@example.test",
            "Subject": "Charset lies",
            "Message-ID": "<broken-2@example.test>",
            "Content-Type": "text/plain; charset=utf-8",
        },
        "Déjà vu, ça va ?".encode("cp1252"),
    ),
    "raw_8bit_header": raw(
        {
            "From": "Fran\udce7ois <francois@example.test>",  # a latin-1 byte, undeclared
            "Subject": "R\udce9sum\udce9 de la semaine",
            "Message-ID": "<broken-3@example.test>",
        },
        "Sans charset d\xe9clar\xe9".encode("latin-1"),
    ),
    "bad_base64": raw(
        {
            "From": "c@example.test",
            "Subject": "Broken base64",
            "Message-ID": "<broken-4@example.test>",
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Transfer-Encoding": "base64",
        },
        "Qm9uam91ciDDoCB0b3Vz!!!not base64***",
    ),
    "html_only": raw(
        {
            "From": "d@example.test",
            "Subject": "Newsletter",
            "Message-ID": "<broken-5@example.test>",
            "Content-Type": "text/html; charset=utf-8",
        },
        '<html><head><style>p{color:red}</style><script>alert("x")</script></head>'
        '<body><p>Bonjour <b>à tous</b></p><p onclick="steal()">Deuxième <a href="javascript:x()">lien</a></p>'
        "</body></html>",
    ),
    "no_message_id": raw(
        {"From": "e@example.test", "Subject": "No id", "Date": "not a date at all"},
        "Where is my id?",
    ),
    "not_an_email": b"\x00\x01\x02 this is not a message at all \xff\xfe\r\n\r\n\x00garbage",
    "with_attachment": raw(
        {
            "From": "f@example.test",
            "Subject": "Le programme",
            "Message-ID": "<broken-7@example.test>",
            "MIME-Version": "1.0",
            "Content-Type": 'multipart/mixed; boundary="XYZ"',
        },
        "--XYZ\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "Voici le programme.\n"
        "--XYZ\n"
        'Content-Type: application/pdf; name="=?utf-8?q?programme_=C3=A9t=C3=A9.pdf?="\n'
        'Content-Disposition: attachment; filename="=?utf-8?q?programme_=C3=A9t=C3=A9.pdf?="\n'
        "Content-Transfer-Encoding: base64\n\n"
        "JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\n"
        "--XYZ\n"
        "Content-Type: image/png\n"
        "Content-Disposition: inline\n"
        "Content-Transfer-Encoding: base64\n\n"
        "iVBORw0KGgo=\n"
        "--XYZ--\n",
    ),
    "truncated_mime": raw(
        {
            "From": "g@example.test",
            "Subject": "Cut short",
            "Message-ID": "<broken-8@example.test>",
            "Content-Type": 'multipart/alternative; boundary="never-closed"',
        },
        "--never-closed\nContent-Type: text/plain; charset=utf-8\n\nLe début seulement",
    ),
    "rot13_charset": raw(
        {
            "From": "h@example.test",
            "Subject": "=?rot13?q?Uryyb?=",
            "Message-ID": "<broken-9@example.test>",
            "Content-Type": "text/plain; charset=base64",
        },
        "plain body",
    ),
}
