"""Lead exports as real-estate CRMs write them: each CRM's own header (see
docs/importing.md for where the names come from), messy values, and every field each lead
must end up with. Written as a Windows-1252 CSV or as an Excel workbook by the tests."""

# ruff: noqa: E501 (an export's lines are as long as the CRM writes them)

import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from openpyxl import Workbook


@dataclass
class CrmFile:
    crm: str
    text: str  # the export, header first
    # By email: every field the lead must have (missing keys: the field's empty value).
    leads: dict[str, dict]
    # Rows refused (line: column) and values left out or changed (line, column).
    refused: dict[int, str] = field(default_factory=dict)
    changed: list[tuple[int, str]] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return next(csv.reader(io.StringIO(self.text)))

    @property
    def rows(self) -> list[list[str]]:
        return list(csv.reader(io.StringIO(self.text)))[1:]

    def csv(self, encoding: str = "cp1252", delimiter: str = ",") -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return out.getvalue().encode(encoding)

    def xlsx(self) -> bytes:
        """The same rows in a workbook, typed as Excel types them: whole numbers as numbers,
        dates as dates; a first sheet named after the CRM, and a second one."""
        book = Workbook()
        sheet = book.active
        sheet.title = self.crm[:31]
        sheet.append(self.header)
        for row in self.rows:
            sheet.append([_typed(cell) for cell in row])
        book.create_sheet("Notes").append(["Exported for the import"])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


def _typed(cell: str) -> object:
    if re.fullmatch(r"[1-9]\d{0,11}", cell):
        return int(cell)
    if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", cell):
        month, day, year = (int(part) for part in match.groups())
        if month <= 12:
            return datetime.datetime(year, month, day)
    return cell


EMPTY = {
    "first_name": "",
    "last_name": "",
    "phone": "",
    "city": "",
    "status": "new",
    "budget_min": None,
    "budget_max": None,
    "source": "",
    "tags": [],
    "custom": {},
    "owner": None,
}


def lead(**fields: object) -> dict:
    return {**EMPTY, **fields}


FOLLOW_UP_BOSS = CrmFile(
    "Follow Up Boss",
    """\
Name,First Name,Last Name,ID,Date Added,Stage,Lead Source,Assigned To,Listing Price,Tags,Email 1,Email 2,Phone 1,Address 1 - City,Kids Names
Zoë Müller,Zoë,Müller,101,3/14/2024,Lead,Zillow,Maria Lopez,"$450,000","Buyer, Pasadena",zoe@example.com,zoe.work@example.com,(310) 555-0101,Pasadena,"Léa, Max"
José Núñez,José,Núñez,102,1/2/2023,Closed,Open House,Tom,$1.2M,Past client,jose@example.com,,310.555.0102 x12,Glendale,
Okafor,,Okafor,103,N/A,Trash,Realtor.com,,N/A,,okafor@example.com,,N/A,Burbank,
,,,104,2024-05-01,Past Client,Referral,maria@example.com,€700.000,VIP|Sphere,anon@example.com,,+44 20 7946 0958,,
Ana Lee,Ana,Lee,105,5/6/2024,Hot Prospect,Website,Nobody Here,500k-700k,,ana@example.com,,call after 5,Pasadena,Sam
Ben Cole,Ben,Cole,106,6/7/2024,Nurture,Zillow,,about 1M,,not-an-email,,,,
Cid Roy,Cid,Roy,107,7/8/2024,Kids of Closed Clients,Zillow,,,,cid@example.com,,,Burbank,
""",
    {
        "zoe@example.com": lead(
            first_name="Zoë",
            last_name="Müller",
            phone="+13105550101",
            city="Pasadena",
            status="new",
            budget_max=450_000,
            source="Zillow",
            tags=["Buyer", "Pasadena"],
            owner="maria",
            custom={
                "id": "101",
                "date_added": "2024-03-14",
                "email_2": "zoe.work@example.com",
                "kids_names": "Léa, Max",
            },
        ),
        "jose@example.com": lead(
            first_name="José",
            last_name="Núñez",
            phone="+13105550102 ext. 12",
            city="Glendale",
            status="client",
            budget_max=1_200_000,
            source="Open House",
            tags=["Past client"],
            owner="tom",
            custom={"id": "102", "date_added": "2023-01-02"},
        ),
        "okafor@example.com": lead(
            last_name="Okafor",
            city="Burbank",
            status="lost",
            source="Realtor.com",
            custom={"id": "103"},
        ),
        "anon@example.com": lead(
            phone="+442079460958",
            status="client",
            budget_max=700_000,
            source="Referral",
            tags=["VIP", "Sphere"],
            owner="maria",
            custom={"id": "104", "date_added": "2024-05-01"},
        ),
        "ana@example.com": lead(
            first_name="Ana",
            last_name="Lee",
            phone="call after 5",
            city="Pasadena",
            status="qualified",
            budget_min=500_000,
            budget_max=700_000,
            source="Website",
            custom={"id": "105", "date_added": "2024-05-06", "kids_names": "Sam"},
        ),
        "cid@example.com": lead(
            first_name="Cid",
            last_name="Roy",
            city="Burbank",
            source="Zillow",
            custom={"id": "107", "date_added": "2024-07-08"},
        ),
    },
    refused={7: "Email 1"},
    changed=[(6, "Assigned To"), (6, "Phone 1"), (8, "Stage")],
)

KVCORE = CrmFile(
    "kvCORE",
    """\
First Name,Last Name,Email,second email,Cell Phone 1,Home Phone,Primary City,Status,Source,Hashtag,Agent,Price Min,Price Max,Created
Maëlle,Dubois,maelle@example.com,,310-555-0111,,Santa Monica,New Lead,IDX Website,Barrington|Naperville,Maria Lopez,"$400,000","$650,000",2024-02-03 10:15:00
Ravi,Shah,ravi@example.com,ravi2@example.com,,(818) 555-0112,Burbank,Archive,Facebook,,tom@example.com,N/A,-,1/15/2024
Mia,Chen,mia@example.com,,3105550113,,Pasadena,Closed,Zillow,buyer,,"1,5M",2M,12/1/2023
Noah,Kim,noah@example.com,,,,Glendale,Active Lead,Referral,,,900000,700000,3/3/2024
Lily,Ng,lily@example.com,,,,Burbank,Sphere,Past Client Referral,family,,up to 800k,,3/4/2024
""",
    {
        "maelle@example.com": lead(
            first_name="Maëlle",
            last_name="Dubois",
            phone="+13105550111",
            city="Santa Monica",
            status="new",
            budget_min=400_000,
            budget_max=650_000,
            source="IDX Website",
            tags=["Barrington", "Naperville"],
            owner="maria",
            custom={"created": "2024-02-03"},
        ),
        "ravi@example.com": lead(
            first_name="Ravi",
            last_name="Shah",
            city="Burbank",
            status="lost",
            source="Facebook",
            owner="tom",
            custom={
                "second_email": "ravi2@example.com",
                "home_phone": "(818) 555-0112",
                "created": "2024-01-15",
            },
        ),
        "mia@example.com": lead(
            first_name="Mia",
            last_name="Chen",
            phone="+13105550113",
            city="Pasadena",
            status="client",
            budget_min=1_500_000,
            budget_max=2_000_000,
            source="Zillow",
            tags=["buyer"],
            custom={"created": "2023-12-01"},
        ),
        "noah@example.com": lead(
            first_name="Noah",
            last_name="Kim",
            city="Glendale",
            status="contacted",
            source="Referral",
            custom={"created": "2024-03-03"},
        ),
        "lily@example.com": lead(
            first_name="Lily",
            last_name="Ng",
            city="Burbank",
            status="contacted",
            source="Past Client Referral",
            budget_max=800_000,
            tags=["family"],
            custom={"created": "2024-03-04"},
        ),
    },
    changed=[(5, "Price Min")],
)

LOFTY = CrmFile(
    "Lofty",
    """\
First Name,Last Name,Email,Phone,Mailing City,Lead Type,Stage,Min Price,Max Price,Assigned Agent,Tags,Source,Phone DNC Status
Chloé,Moreau,chloe@example.com,626-555-0121,Pasadena,Buyer,Hot,€500.000,€750.000,Maria,First-time buyer;Pasadena,Lofty IDX,no
Omar,Haddad,omar@example.com,,Glendale,Seller,Closed,,,Tom Baker,,Zillow,yes
Priya,Patel,priya@example.com,626-555-0123,,Buyer,Nurture,350k,,,investor,Realtor.com,
Hiro,Tanaka,hiro@example.com,,Burbank,Buyer,Trash,-,N/A,,,Facebook Ads,
""",
    {
        "chloe@example.com": lead(
            first_name="Chloé",
            last_name="Moreau",
            phone="+16265550121",
            city="Pasadena",
            status="qualified",
            budget_min=500_000,
            budget_max=750_000,
            source="Lofty IDX",
            tags=["First-time buyer", "Pasadena"],
            owner="maria",
            custom={"lead_type": "Buyer", "phone_dnc_status": "no"},
        ),
        "omar@example.com": lead(
            first_name="Omar",
            last_name="Haddad",
            city="Glendale",
            status="client",
            source="Zillow",
            owner="tom",
            custom={"lead_type": "Seller", "phone_dnc_status": "yes"},
        ),
        "priya@example.com": lead(
            first_name="Priya",
            last_name="Patel",
            phone="+16265550123",
            status="contacted",
            budget_min=350_000,
            source="Realtor.com",
            tags=["investor"],
            custom={"lead_type": "Buyer"},
        ),
        "hiro@example.com": lead(
            first_name="Hiro",
            last_name="Tanaka",
            city="Burbank",
            status="lost",
            source="Facebook Ads",
            custom={"lead_type": "Buyer"},
        ),
    },
)

GOOGLE_CONTACTS = CrmFile(
    "Google Contacts",
    """\
First Name,Last Name,Labels,E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value,Address 1 - City,Birthday,Notes
Sofía,García,* myContacts ::: Buyers,* Home,sofia@example.com,Mobile,+1 213-555-0131,Los Angeles,1990-04-12,Met at the open house
Wei,Zhang,* myContacts,Work,WEI@Example.com,,,,--08-09,
,,Sellers,,nameless@example.com,,,Burbank,,
""",
    {
        "sofia@example.com": lead(
            first_name="Sofía",
            last_name="García",
            phone="+12135550131",
            city="Los Angeles",
            tags=["myContacts", "Buyers"],
            custom={
                "e_mail_1_label": "* Home",
                "phone_1_label": "Mobile",
                "birthday": "1990-04-12",
                "notes": "Met at the open house",
            },
        ),
        "wei@example.com": lead(
            first_name="Wei",
            last_name="Zhang",
            tags=["myContacts"],
            custom={"e_mail_1_label": "Work", "birthday": "--08-09"},
        ),
        "nameless@example.com": lead(city="Burbank", tags=["Sellers"]),
    },
)

# The file of the issue: a spreadsheet kept by hand.
SPREADSHEET = CrmFile(
    "Spreadsheet",
    """\
First Name,Last Name,Email,Phone,Stage,Lead Source,Assigned To,Tags,Price Min,Price Max,City,Created
Élodie,Brun,elodie@example.com,310 555 0141,Trash,Zillow,Maria,"pasadena, buyer","$450,000","$600,000",Pasadena,14/03/2024
Sam,Ortiz,sam@example.com,,Closed,Open house,,,N/A,$1.2M,Pasadena,3/15/2024
Kai,,kai@example.com,,Hot,Website,,vip,€700.000,,Pasadena,
""",
    {
        "elodie@example.com": lead(
            first_name="Élodie",
            last_name="Brun",
            phone="+13105550141",
            city="Pasadena",
            status="lost",
            budget_min=450_000,
            budget_max=600_000,
            source="Zillow",
            tags=["pasadena", "buyer"],
            owner="maria",
            custom={"created": "2024-03-14"},
        ),
        "sam@example.com": lead(
            first_name="Sam",
            last_name="Ortiz",
            city="Pasadena",
            status="client",
            budget_max=1_200_000,
            source="Open house",
            custom={"created": "2024-03-15"},
        ),
        "kai@example.com": lead(
            first_name="Kai",
            city="Pasadena",
            status="qualified",
            budget_min=700_000,
            source="Website",
            tags=["vip"],
        ),
    },
)

FILES = [FOLLOW_UP_BOSS, KVCORE, LOFTY, GOOGLE_CONTACTS, SPREADSHEET]
