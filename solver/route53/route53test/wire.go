package route53test

import "encoding/xml"

// The XML documents below mirror what aws-sdk-go-v2's restxml
// (de)serializers for Route 53 and awsquery ones for STS expect; element
// names are taken from the SDK's generated code.

const (
	route53NS = "https://route53.amazonaws.com/doc/2013-04-01/"
	stsNS     = "https://sts.amazonaws.com/doc/2011-06-15/"
)

type xmlHostedZone struct {
	ID                     string `xml:"Id"`
	Name                   string `xml:"Name"`
	CallerReference        string `xml:"CallerReference"`
	Config                 xmlHostedZoneConfig
	ResourceRecordSetCount int
}

type xmlHostedZoneConfig struct {
	PrivateZone bool
}

type listHostedZonesByNameResponse struct {
	XMLName          xml.Name        `xml:"ListHostedZonesByNameResponse"`
	Xmlns            string          `xml:"xmlns,attr"`
	HostedZones      []xmlHostedZone `xml:"HostedZones>HostedZone"`
	DNSName          string          `xml:"DNSName,omitempty"`
	HostedZoneID     string          `xml:"HostedZoneId,omitempty"`
	IsTruncated      bool
	NextDNSName      string `xml:"NextDNSName,omitempty"`
	NextHostedZoneID string `xml:"NextHostedZoneId,omitempty"`
	MaxItems         int
}

type xmlResourceRecord struct {
	Value string
}

type xmlAliasTarget struct {
	DNSName string
}

type xmlRRSet struct {
	Name            string
	Type            string
	SetIdentifier   string              `xml:"SetIdentifier,omitempty"`
	TTL             *int64              `xml:"TTL,omitempty"`
	ResourceRecords []xmlResourceRecord `xml:"ResourceRecords>ResourceRecord"`
	AliasTarget     *xmlAliasTarget     `xml:"AliasTarget,omitempty"`
}

type listResourceRecordSetsResponse struct {
	XMLName            xml.Name   `xml:"ListResourceRecordSetsResponse"`
	Xmlns              string     `xml:"xmlns,attr"`
	ResourceRecordSets []xmlRRSet `xml:"ResourceRecordSets>ResourceRecordSet"`
	IsTruncated        bool
	NextRecordName     string `xml:"NextRecordName,omitempty"`
	NextRecordType     string `xml:"NextRecordType,omitempty"`
	MaxItems           int
}

type xmlChange struct {
	Action            string
	ResourceRecordSet xmlRRSet
}

type changeResourceRecordSetsRequest struct {
	XMLName     xml.Name `xml:"ChangeResourceRecordSetsRequest"`
	ChangeBatch struct {
		Comment string
		Changes []xmlChange `xml:"Changes>Change"`
	}
}

type xmlChangeInfo struct {
	ID          string `xml:"Id"`
	Status      string
	SubmittedAt string
	Comment     string `xml:"Comment,omitempty"`
}

type changeResourceRecordSetsResponse struct {
	XMLName    xml.Name `xml:"ChangeResourceRecordSetsResponse"`
	Xmlns      string   `xml:"xmlns,attr"`
	ChangeInfo xmlChangeInfo
}

type getChangeResponse struct {
	XMLName    xml.Name `xml:"GetChangeResponse"`
	Xmlns      string   `xml:"xmlns,attr"`
	ChangeInfo xmlChangeInfo
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

type assumeRoleResponse struct {
	XMLName          xml.Name `xml:"AssumeRoleResponse"`
	Xmlns            string   `xml:"xmlns,attr"`
	AssumeRoleResult struct {
		Credentials struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string
			SessionToken    string
			Expiration      string
		}
		AssumedRoleUser struct {
			Arn           string
			AssumedRoleID string `xml:"AssumedRoleId"`
		}
	}
	ResponseMetadata struct {
		RequestID string `xml:"RequestId"`
	}
}
